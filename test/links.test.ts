/**
 * Signed links without a server: what a token says, how it is refused, which links a group post may carry, and
 * which refusals reach a duty's history (a stand-in Temporal client counts the signals).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { Client } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import { actionPage } from '../dashboard/actions';
import { linksFor, unitLinks } from '../links/actions';
import { linkSecretSource, rotateLinkSecret } from '../links/secret';
import { LINK_MAX_AGE_MS, secretId, signLink, verifyLink } from '../links/token';
import { LINK_REFUSALS_KEPT_MS, LINK_REFUSALS_MAX_ROWS, LINK_REFUSALS_PER_SOURCE, LINK_REFUSALS_PER_WINDOW, LINK_REFUSAL_WINDOW_MS, LinkUses, refusalSource } from '../links/uses';
import type { DutyState, OutgoingMessage } from '../workflows/types';
import { seedDirectory } from './linked-campaign';

const payload = { a: 'ack' as const, d: 'duty/1', p: '周志强（虚构）', u: '县民政局', r: 'coordinator' as const, i: 1_000, e: 2_000, m: 'msg' };

describe('a link token', () => {
  it('verifies as signed, and is refused when changed, expired, forged or signed by a rotated secret', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'duban-token-')), 'link-secret');
    const secret = linkSecretSource(file);
    const token = signLink(secret(), payload);
    expect(verifyLink(secret(), token, 1_500)).toMatchObject({ ok: true, payload: { d: 'duty/1' } });
    expect(verifyLink(secret(), token, 2_001)).toMatchObject({ ok: false, why: 'expired' });
    expect(verifyLink(secret(), `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`, 1_500)).toMatchObject({ ok: false, why: 'tampered' });
    // A forger's own secret: its id is not one we retired, so the page says "changed", not "secret rotated".
    expect(verifyLink(secret(), signLink('f'.repeat(43), payload), 1_500, secret.retired())).toMatchObject({ ok: false, why: 'tampered' });
    const old = secretId(secret());
    rotateLinkSecret(file);
    expect(secret.retired()).toEqual([old]);
    expect(verifyLink(secret(), token, 1_500, secret.retired())).toMatchObject({ ok: false, why: 'rotated' });
  });
});

describe('links in a group post', () => {
  const signer = { publicUrl: 'http://duban.example.org', secret: linkSecretSource(join(mkdtempSync(join(tmpdir(), 'duban-group-')), 'link-secret')) };
  const msg = (over: Partial<OutgoingMessage>): OutgoingMessage => ({ key: 'k', kind: 'reminder', toUnits: [], recipients: [], level: 'blue', at: 0, subject: 's', text: 't', ...over });

  it('carry only the unit’s own actions, and none in an office’s group (no decisions, no sign-in)', () => {
    const reminder = msg({ dutyId: 'd', unit: '县民政局', taskNumber: 1 });
    expect(unitLinks(signer, seedDirectory, reminder, '县民政局').map((l) => l.action)).toEqual(['ack', 'done', 'extend']);
    // An extension request and a digest to a supervising office: its people get these links in their own email only.
    const request = msg({ kind: 'extension-request', dutyId: 'd', unit: '县民政局', taskNumber: 1 });
    const digest = msg({ kind: 'digest' });
    const office = seedDirectory.units['县委农办']!.coordinators[0]!;
    expect(linksFor(signer, seedDirectory, request, { ...office, unit: '县委农办', role: 'coordinators' }).map((l) => l.action)).toEqual(['approve', 'refuse']);
    expect(linksFor(signer, seedDirectory, digest, { ...office, unit: '县委农办', role: 'coordinators' }).map((l) => l.action)).toEqual(['office']);
    expect(unitLinks(signer, seedDirectory, request, '县委农办')).toEqual([]);
    expect(unitLinks(signer, seedDirectory, digest, '县委农办')).toEqual([]);
    expect(unitLinks(signer, seedDirectory, digest, '县纪委监委')).toEqual([]);
  });
});

describe('refused links and duty histories', () => {
  const LEAD = '县乡村振兴局';
  const OTHER = '县教科局';
  const other = seedDirectory.units[OTHER]!.coordinators[0]!;
  const lead = seedDirectory.units[LEAD]!.coordinators[0]!;

  /** A dashboard's action pages over a stand-in Temporal: every duty is the lead's, open; signals are counted. */
  function setup() {
    const dir = mkdtempSync(join(tmpdir(), 'duban-refusals-'));
    const secret = linkSecretSource(join(dir, 'link-secret'));
    const file = join(dir, 'link-uses.sqlite');
    const uses = new LinkUses(file);
    const signals: { dutyId: string; who: string; reason: string }[] = [];
    const state = (dutyId: string) => ({ dutyId, kind: 'deadline', unit: LEAD, taskNumber: 1, deadline: '2022-05-31', originalDeadline: '2022-05-31', status: 'open', level: 'blue', ended: false, history: [] }) as unknown as DutyState;
    const client = {
      workflow: {
        getHandle: (dutyId: string) => ({
          query: async () => state(dutyId),
          signal: async (_s: unknown, a: { who: string; reason: string }) => void signals.push({ dutyId, ...a }),
        }),
      },
    } as unknown as Client;
    let clock = Date.parse('2022-05-20T10:00:00+08:00');
    const deps = { client, directory: seedDirectory, secret, uses, now: () => clock };
    const open = (token: string, from = '203.0.113.7') => actionPage(deps, token, 'GET', undefined, from);
    /** A genuine link of another unit's coordinator, pointed at the lead's duty: refused, and its signature holds. */
    let n = 0;
    const foreign = (over: { i?: number; e?: number } = {}) =>
      signLink(secret(), { a: 'done', d: `c/t1/d${n}/${LEAD}`, p: other.name, u: OTHER, r: 'coordinator', i: over.i ?? clock, e: over.e ?? clock + LINK_MAX_AGE_MS, m: `msg-${n++}` });
    const rows = () => {
      const db = new Database(file, { readonly: true });
      try {
        return (db.prepare('SELECT COUNT(*) AS n FROM link_refusals').get() as { n: number }).n;
      } finally {
        db.close();
      }
    };
    return { secret, signals, open, foreign, rows, file, uses, advance: (ms: number) => (clock += ms), now: () => clock };
  }

  it('never lets a link that fails its signature write into a duty’s history, whatever duty it names', async () => {
    const t = setup();
    const body = (d: string) => Buffer.from(JSON.stringify({ v: 1, k: secretId(t.secret()), a: 'done', d, p: lead.name, u: LEAD, r: 'coordinator', i: t.now(), e: t.now() + 86_400_000, m: 'x' })).toString('base64url');
    const genuine = signLink(t.secret(), { a: 'done', d: `c/t1/d1/${LEAD}`, p: lead.name, u: LEAD, r: 'coordinator', i: t.now(), e: t.now() + 86_400_000, m: 'real' });
    const pages = [];
    for (let i = 0; i < 200; i++) {
      const d = `victim-${i}/t1/d1/${LEAD}`;
      // Unsigned (any signature), signed by a forger's own secret, and a genuine link with one byte changed.
      pages.push(await t.open(`${body(d)}.AAAA`, `198.51.100.${i % 250}`));
      pages.push(await t.open(signLink('f'.repeat(43), { a: 'ack', d, p: lead.name, u: LEAD, r: 'coordinator', i: t.now(), e: t.now() + 86_400_000, m: `f${i}` })));
      pages.push(await t.open(`${genuine.slice(0, -1)}${genuine.endsWith('A') ? 'B' : 'A'}`));
    }
    // Signed by a secret since rotated out: it can no longer be checked, so it counts as unsigned too.
    rotateLinkSecret(join(t.file, '..', 'link-secret'));
    const rotated = await t.open(genuine);
    expect(pages.every((p) => p.status === 400 && p.html.includes('签名不符'))).toBe(true);
    expect(rotated.status).toBe(410);
    expect(rotated.html).toContain('链接密钥已更换');
    expect(t.signals).toEqual([]);
    expect(t.rows()).toBe(0);
  });

  it('records a signed link’s refusal once, and at most so many an hour per address and in all', async () => {
    const t = setup();
    const links = Array.from({ length: LINK_REFUSALS_PER_SOURCE + 20 }, () => t.foreign());
    for (const link of links) expect((await t.open(link)).html).toContain(`该任务属于 ${LEAD}`);
    // One address walking through many links: the first ones are recorded, with the person the signature names.
    expect(t.signals).toHaveLength(LINK_REFUSALS_PER_SOURCE);
    expect(t.signals[0]).toMatchObject({ who: `${other.name}（${OTHER}，链接）`, reason: `该任务属于 ${LEAD}，不是 ${OTHER} 的任务。` });
    // The same link again adds nothing; another address is not held back by the first.
    await t.open(links[0]!);
    await t.open(t.foreign(), '203.0.113.8');
    expect(t.signals).toHaveLength(LINK_REFUSALS_PER_SOURCE + 1);
    // An IPv6 client changing its address within its /64 is one source.
    for (let i = 1; i <= LINK_REFUSALS_PER_SOURCE + 5; i++) await t.open(t.foreign(), `2001:db8:1:2::${i.toString(16)}`);
    expect(t.signals).toHaveLength(2 * LINK_REFUSALS_PER_SOURCE + 1);
    // Many addresses, one link each: at most LINK_REFUSALS_PER_WINDOW in the hour from all of them.
    for (let i = 0; i < LINK_REFUSALS_PER_WINDOW; i++) await t.open(t.foreign(), `10.${i >> 8}.${i & 255}.1`);
    expect(t.signals).toHaveLength(LINK_REFUSALS_PER_WINDOW);
    // An hour later the first address is recorded again (its links not recorded yet among them).
    t.advance(LINK_REFUSAL_WINDOW_MS + 1);
    await t.open(links.at(-1)!);
    expect(t.signals).toHaveLength(LINK_REFUSALS_PER_WINDOW + 1);
  });

  it('keeps the table bounded: a link long expired is not recorded, old rows go, and a full table records nothing', async () => {
    const t = setup();
    // Expired a day ago: recorded, once. Expired longer ago than a link lives: refused without a line.
    const recent = t.foreign({ i: t.now() - LINK_MAX_AGE_MS - 86_400_000, e: t.now() - 86_400_000 });
    const ancient = t.foreign({ i: t.now() - 3 * LINK_MAX_AGE_MS, e: t.now() - 2 * LINK_MAX_AGE_MS });
    for (const link of [recent, recent, ancient]) expect((await t.open(link)).status).toBe(410);
    expect(t.signals).toHaveLength(1);
    expect(t.rows()).toBe(1);
    // Past LINK_REFUSALS_KEPT_MS the row is pruned (at the next refusal recorded), and its link, expired by
    // then for longer than is recorded, gets no second line.
    t.advance(LINK_REFUSALS_KEPT_MS + 1);
    await t.open(recent);
    await t.open(t.foreign());
    expect(t.signals).toHaveLength(2);
    expect(t.rows()).toBe(1);
    // A table at its cap (with rows of the last weeks, within every hourly limit) takes no more.
    const db = new Database(t.file);
    const insert = db.prepare("INSERT INTO link_refusals (id, at, source) VALUES (?, ?, 'old')");
    db.transaction(() => {
      for (let i = 0; i < LINK_REFUSALS_MAX_ROWS - 1; i++) insert.run(`old-${i}`, t.now() - LINK_REFUSAL_WINDOW_MS - 1 - i);
    })();
    db.close();
    await t.open(t.foreign());
    expect(t.signals).toHaveLength(2);
    expect(t.rows()).toBe(LINK_REFUSALS_MAX_ROWS);
    t.uses.close();
  });

  it('counts IPv4, IPv4-mapped and IPv6 addresses by client', () => {
    expect(refusalSource('::ffff:192.0.2.1')).toBe('192.0.2.1');
    expect(refusalSource('192.0.2.1')).toBe('192.0.2.1');
    expect(refusalSource('2001:db8:1:2::9')).toBe('2001:db8:1:2::/64');
    expect(refusalSource('2001:0db8:0001:0002:aaaa:bbbb:cccc:dddd')).toBe('2001:db8:1:2::/64');
    expect(refusalSource('::1')).toBe('0:0:0:0::/64');
    expect(refusalSource(undefined)).toBe('unknown');
  });
});
