/**
 * Signed action links end to end on the dev server, with real email through a loopback SMTP server: an email
 * reminder's link → its page → the form's POST → the duty is acknowledged; the same link again is "already
 * done"; a scanner opening every link changes nothing; a changed byte, an expired link, another unit's duty and
 * a rotated secret are refused and change nothing, and those whose signature holds (expired, another unit's) are
 * recorded on the duty; an extension asked by link is
 * approved by the supervising office's link and the deadline moves.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rotateLinkSecret } from '../links/secret';
import { LINK_MAX_AGE_MS, signLink } from '../links/token';
import { recipientsOf, seedDirectory, startLinkedCampaign, type LinkedCampaign } from './linked-campaign';
import type { SmtpSink } from './smtp-sink';
import { until } from './until';

const directory = seedDirectory;
// Task 1's lead, 县乡村振兴局; the supervising office for its duties is 县委农办.
const LEAD = '县乡村振兴局';
const SUPERVISOR = '县委农办';
const coordinatorOf = (unit: string) => directory.units[unit]!.coordinators[0]!;
const LINK_RE = /https?:\/\/[^\s"<>]+\/a\/[A-Za-z0-9_.-]+/g;
const hasLink = (text: string) => /\/a\/[A-Za-z0-9_.-]+/.test(text);

describe('signed action links', () => {
  let ctx: LinkedCampaign;
  let sink: SmtpSink;

  beforeAll(async () => {
    ctx = await startLinkedCampaign('links');
    sink = ctx.sink;
    expect((await ctx.status()).unit).toBe(LEAD);
  }, 60_000);

  afterAll(async () => ctx?.stop());

  const to = recipientsOf;
  const mailTo = (address: string, match: (text: string) => boolean) => sink.received.find((m) => to(m).includes(address) && match(m.text ?? ''));
  const linksIn = (text: string) => [...new Set(text.match(LINK_RE) ?? [])];
  const linkFor = (text: string, label: string) => {
    const line = text.split('\n').find((l) => l.startsWith(label));
    return line?.match(LINK_RE)?.[0];
  };
  const get = async (url: string) => {
    const res = await fetch(url);
    return { status: res.status, html: await res.text() };
  };
  const post = async (url: string, fields: Record<string, string>) => {
    const page = await get(url);
    const form = /name="form" value="([^"]+)"/.exec(page.html)?.[1];
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ ...(form ? { form } : {}), ...fields }) });
    return { status: res.status, html: await res.text() };
  };

  it('puts each person’s own links in their email; a scanner opening every link changes nothing', async () => {
    const coordinator = coordinatorOf(LEAD);
    const mail = await until('the announcement with links', () => mailTo(coordinator.email!, (t) => hasLink(t))).catch((err: unknown) => {
      throw new Error(`${String(err)}; received: ${sink.received.map((m) => `${to(m).join(',')} ${m.subject} ${(m.text ?? '').slice(-300)}`).join('\n')}`);
    });
    const links = linksIn(mail.text ?? '');
    expect(links.length).toBe(3);
    expect(mail.text).toContain('确认收到（');
    expect(mail.html).toContain('>报办结／报进度');
    // Every copy carries links for its own reader only: the co-unit's coordinator gets none for the lead's duty.
    const coUnitMail = sink.received.find((m) => to(m).includes(coordinatorOf('县教科局').email!));
    expect(hasLink(coUnitMail?.text ?? '')).toBe(false);
    const before = await ctx.status();
    // As a mail scanner would: every link of every message, opened with GET (twice).
    for (const m of sink.received) {
      for (const url of linksIn(m.text ?? '')) {
        expect((await get(url)).status).toBeLessThan(500);
        expect((await get(url)).status).toBeLessThan(500);
      }
    }
    const after = await ctx.status();
    expect(after.status).toBe('open');
    expect(after.history).toEqual(before.history);
  });

  it('acknowledges by the page’s POST, and the same link again says it is already done', async () => {
    const mail = mailTo(coordinatorOf(LEAD).email!, (t) => hasLink(t))!;
    const ack = linkFor(mail.text ?? '', '确认收到')!;
    const page = await get(ack);
    expect(page.html).toContain('提交后，本任务登记为「已确认收到」');
    expect(page.html).toContain(coordinatorOf(LEAD).name);
    // A POST that did not come from the page (no form token) does nothing.
    const forged = await fetch(ack, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: '' });
    expect(forged.status).toBe(403);
    expect((await ctx.status()).status).toBe('open');
    const done = await post(ack, {});
    expect(done.status).toBe(200);
    expect(done.html).toContain('已确认');
    const state = await ctx.status();
    expect(state.status).toBe('acknowledged');
    expect(state.history.some((h) => h.event === 'acknowledged' && h.by === `${coordinatorOf(LEAD).name}（链接）`)).toBe(true);
    const again = await get(ack);
    expect(again.html).toContain('无需再次确认');
    // Nothing to acknowledge again: only the writer's 「撤回」 is offered (issue #25).
    expect(again.html).not.toContain('>确认收到</button>');
    expect(again.html).toContain('>撤回</button>');
  });

  it('takes the acknowledgement back by the page’s 「撤回」 (a POST of its own form, never a GET), and then acknowledges again', async () => {
    const mail = mailTo(coordinatorOf(LEAD).email!, (t) => hasLink(t))!;
    const ack = linkFor(mail.text ?? '', '确认收到')!;
    expect((await ctx.status()).status).toBe('acknowledged');
    // A scanner's GET of the page with 撤回 changes nothing; a POST without the page's form token neither.
    await get(ack);
    const forged = await fetch(ack, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'undo=1' });
    expect(forged.status).toBe(403);
    expect((await ctx.status()).status).toBe('acknowledged');
    const undone = await post(ack, { undo: '1' });
    expect(undone.status).toBe(200);
    expect(undone.html).toContain('已撤回');
    const state = await ctx.status();
    expect(state.status).toBe('open');
    const entry = state.history.find((h) => h.event === 'undone');
    expect(entry).toMatchObject({ by: `${coordinatorOf(LEAD).name}（链接）`, via: 'page' });
    // Nothing left to take back: refused, with whom to ask.
    const twice = await post(ack, { undo: '1' });
    expect(twice.status).toBe(422);
    expect(twice.html).toContain('没有可撤回的回复');
    // The same link acknowledges again.
    const acked = await post(ack, {});
    expect(acked.html).toContain('已确认');
    expect((await ctx.status()).status).toBe('acknowledged');
  });

  it('refuses a changed byte, an expired link, another unit’s duty and a rotated secret: nothing changes, each signed attempt is recorded', async () => {
    const mail = mailTo(coordinatorOf(LEAD).email!, (t) => hasLink(t))!;
    const done = linkFor(mail.text ?? '', '报办结')!;
    const before = await ctx.status();
    const refusedBefore = before.history.filter((h) => h.event === 'refused').length;
    // One byte of the signature changed.
    const last = done.at(-1) === 'A' ? 'B' : 'A';
    const tampered = await get(`${done.slice(0, -1)}${last}`);
    expect(tampered.status).toBe(400);
    expect(tampered.html).toContain('签名不符');
    // A link issued 31 days ago (signed with the deployment's own secret, so only its age is wrong).
    const secret = ctx.secret();
    const now = ctx.now();
    const person = coordinatorOf(LEAD);
    const old = signLink(secret, { a: 'done', d: ctx.dutyId, p: person.name, u: LEAD, r: 'coordinator', i: now - LINK_MAX_AGE_MS - 86_400_000, e: now - 86_400_000, m: 'old' });
    const expired = await get(`${ctx.base}/a/${old}`);
    expect(expired.status).toBe(410);
    expect(expired.html).toContain('链接已过期');
    // A genuine link of another unit's coordinator, pointed at this unit's duty.
    const other = coordinatorOf('县教科局');
    const foreign = signLink(secret, { a: 'done', d: ctx.dutyId, p: other.name, u: '县教科局', r: 'coordinator', i: now, e: now + 86_400_000, m: 'foreign' });
    const foreignPage = await get(`${ctx.base}/a/${foreign}`);
    expect(foreignPage.status).toBe(403);
    expect(foreignPage.html).toContain(`该任务属于 ${LEAD}`);
    // The secret rotated: the mail's own link is refused with its own page.
    rotateLinkSecret(ctx.secretFile);
    const rotated = await get(done);
    expect(rotated.status).toBe(410);
    expect(rotated.html).toContain('链接密钥已更换');
    const after = await ctx.status();
    expect(after.status).toBe(before.status);
    expect(after.deadline).toBe(before.deadline);
    // Recorded: the two whose signature held, naming their person. A changed byte or a rotated secret proves
    // nothing about who sent it nor which duty it names: not a line (links/uses.ts, test/links.test.ts).
    const refused = after.history.filter((h) => h.event === 'refused').slice(refusedBefore);
    expect(refused.map((h) => h.detail)).toEqual([expect.stringContaining('链接已过期'), expect.stringContaining(`该任务属于 ${LEAD}`)]);
    expect(refused.map((h) => h.by)).toEqual([`${person.name}（${LEAD}，链接）`, `${other.name}（县教科局，链接）`]);
  });

  it('lets a unit ask for an extension by link and the supervising office approve it by the link in its email; the deadline moves', async () => {
    // A link signed with the new secret (as the next message's will be) works.
    const secret = ctx.secret();
    const now = ctx.now();
    const person = coordinatorOf(LEAD);
    const extend = signLink(secret, { a: 'extend', d: ctx.dutyId, p: person.name, u: LEAD, r: 'coordinator', i: now, e: now + LINK_MAX_AGE_MS, m: 'test-extend' });
    const asked = await post(`${ctx.base}/a/${extend}`, { date: '2022-06-15', reason: '等待县统计局数据' });
    expect(asked.html.replace(/<[^>]+>/g, ' ')).toContain('已提交');
    expect(asked.status).toBe(200);
    expect((await ctx.status()).pendingExtension?.date).toBe('2022-06-15');
    const supervisor = coordinatorOf(SUPERVISOR);
    const request = await until('the extension request to the supervising office', () => mailTo(supervisor.email!, (t) => t.includes('同意延期')));
    const approve = linkFor(request.text ?? '', '同意延期')!;
    expect((await get(approve)).html).toContain('同意延期至 2022-06-15');
    const approved = await post(approve, {});
    expect(approved.status).toBe(200);
    const state = await ctx.status();
    expect(state.deadline).toBe('2022-06-15');
    expect(state.history.some((h) => h.event === 'extension-approved' && h.by === `${supervisor.name}（链接）`)).toBe(true);
    // One-shot: the same approval link again does nothing more.
    const again = await get(approve);
    expect(again.html).not.toContain('<form');
  });
});
