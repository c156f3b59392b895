/**
 * The dashboard's form reader (dashboard/actions.ts readForm) and a body that arrives in pieces. A browser
 * percent-encodes a form, but a client may send the Chinese as UTF-8 (URLSearchParams reads it), and TCP cuts a
 * body wherever it likes: a 3-byte character split across two chunks must come out whole, not as two U+FFFD.
 */
import { Readable } from 'node:stream';
import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { readForm } from '../dashboard/actions';

/** A request whose body arrives as these chunks. */
const request = (chunks: Buffer[]) => Readable.from(chunks) as unknown as IncomingMessage;

/** `bytes` cut at the given offsets. */
const cut = (bytes: Buffer, ...at: number[]) => [0, ...at].map((from, i) => bytes.subarray(from, at[i] ?? bytes.length));

describe('readForm', () => {
  const body = Buffer.from('action=refuse&reason=材料未齐，请补充后再报', 'utf8');
  // 「材」 is three bytes from offset 21: cut after its first byte, and again inside 「齐」.
  const inside = body.indexOf(Buffer.from('材')) + 1;
  const inside2 = body.indexOf(Buffer.from('齐')) + 2;

  it('keeps a UTF-8 character cut across two chunks whole', async () => {
    const form = await readForm(request(cut(body, inside, inside2)));
    expect(form?.get('reason')).toBe('材料未齐，请补充后再报');
    expect(form?.get('action')).toBe('refuse');
  });

  it('keeps its limit in bytes, however the body is cut', async () => {
    expect((await readForm(request(cut(body, inside)), body.length))?.get('reason')).toBe('材料未齐，请补充后再报');
    expect(await readForm(request(cut(body, inside)), body.length - 1)).toBeUndefined();
  });
});
