/**
 * Items handed ahead by 0.7.0 carry no day count (issue #27): a run carrying them must compare them as 0.7.0 did,
 * or replaying it takes them back — a deskRetract signal 0.7.0 never sent, and the replay fails.
 */
import { describe, expect, it } from 'vitest';
import { stillPlanned } from '../workflows/duty-ahead';

const planned = { key: 'reminder/2022-06-15/3', at: Date.parse('2022-06-10T09:00:00+08:00'), reminderOffset: 3 };

describe('a handed-ahead item still planned', () => {
  it('an item 0.7.0 handed (no day count) is still planned when key and instant agree', () => {
    expect(stillPlanned({ key: planned.key, at: planned.at }, planned)).toBe(true);
  });
  it('an item 0.7.1 handed is taken back when a new calendar changes its day count', () => {
    expect(stillPlanned({ key: planned.key, at: planned.at, offset: 4 }, planned)).toBe(false);
    expect(stillPlanned({ key: planned.key, at: planned.at, offset: 3 }, planned)).toBe(true);
  });
  it('another instant or key is never the same item', () => {
    expect(stillPlanned({ key: planned.key, at: planned.at + 60_000 }, planned)).toBe(false);
    expect(stillPlanned({ key: 'reminder/x', at: planned.at, offset: 3 }, planned)).toBe(false);
  });
});
