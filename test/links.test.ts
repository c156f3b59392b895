/** Signed links without a server: what a token says, how it is refused, and which links a group post may carry. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { linksFor, unitLinks } from '../links/actions';
import { linkSecretSource, rotateLinkSecret } from '../links/secret';
import { secretId, signLink, verifyLink } from '../links/token';
import type { OutgoingMessage } from '../workflows/types';
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
