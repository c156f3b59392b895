/**
 * Drill: bad chat input. Random Unicode, emoji, huge texts and injection strings never throw, always get an
 * answer, and never reach Temporal when they are not a valid command.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseCommand, type ParseResult } from '../../bot/commands';
import { answer, type ReplyContext } from '../../bot/replies';
import { loadDirectory } from '../../plan/files';
import { join } from 'node:path';

const directory = loadDirectory(join(__dirname, '..', '..', 'seeds', 'dazhu-units.yaml'));
const NASTY = [
  "收到 1'; DROP TABLE duties;--",
  '完成 1 <script>alert(1)</script>',
  '延期 1 2022-07-15 ${process.exit()}',
  '进度 19 NaN%',
  '走访 12 +1e9',
  '收到 -1',
  '收到 0',
  '收到 99999999999999999999',
  '完成 1 \u0000\u0007\u202e',
  '👍👍👍 收到 1 🎉',
  '＠督办助手\u2005收到\u3000１',
];

function isAnswer(r: ParseResult): boolean {
  return r.ok ? typeof r.command.kind === 'string' : typeof r.reason === 'string' && r.reason.length > 0 && r.reason.length < 200;
}

/** A client that fails the test if anything touches Temporal. */
const untouchable = new Proxy({}, { get: () => { throw new Error('Temporal was called for an invalid command'); } });
const ctx = { client: untouchable, directory, campaignWorkflowId: 'none' } as unknown as ReplyContext;

describe('drill: bad chat input', () => {
  it('parses any text without throwing, always with an answer', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'grapheme', maxLength: 300 }), fc.string({ unit: 'binary', maxLength: 300 }), fc.constantFrom(...NASTY), fc.string({ minLength: 400, maxLength: 5000 })), (text) => {
        expect(isAnswer(parseCommand(text))).toBe(true);
      }),
      { numRuns: 3000 },
    );
  });

  it('keeps numbers in range whatever is typed', () => {
    fc.assert(
      fc.property(fc.constantFrom('收到', '完成', '进度', '走访', '延期', '驳回', '同意延期'), fc.string({ maxLength: 40 }), (verb, rest) => {
        const r = parseCommand(`${verb} ${rest}`);
        if (!r.ok || !('task' in r.command)) return;
        expect(r.command.task).toBeGreaterThanOrEqual(1);
        expect(r.command.task).toBeLessThanOrEqual(999);
        if (r.command.kind === 'progress') expect(r.command.percent).toBeLessThanOrEqual(100);
        if (r.command.kind === 'actions') expect(r.command.count).toBeLessThanOrEqual(100);
      }),
      { numRuns: 3000 },
    );
  });

  it('answers invalid commands without touching Temporal (so nothing can change)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.string({ unit: 'grapheme', maxLength: 200 }), fc.constantFrom(...NASTY)), async (text) => {
        const parsed = parseCommand(text);
        if (parsed.ok) return;
        const reply = await answer(ctx, { id: 'x', name: '路人' }, text, false);
        expect(reply).toBe(parsed.reason);
      }),
      { numRuns: 1000 },
    );
  });
});
