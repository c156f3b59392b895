/**
 * The reply corpus (test/fixtures/replies/corpus.yaml): replies written the way coordinators write them in
 * WeChat groups, each with the intent and the duties it must act on, answered by `duban reply --dry-run`'s
 * rules against the seed plan of 2022.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { dryRunReply } from '../cli/reply';
import { loadDirectory } from '../plan/files';

export interface CorpusEntry {
  text: string;
  from: string;
  at?: string;
  intent: string;
  codes?: string[];
}

export const corpus = parse(readFileSync(join(__dirname, 'fixtures', 'replies', 'corpus.yaml'), 'utf8')) as CorpusEntry[];
const directory = loadDirectory(join(__dirname, '..', 'seeds', 'dazhu-units.yaml'));

export function personOf(from: string): string {
  if (from === 'stranger') return '路人甲';
  const [role, unit] = from.startsWith('leader:') ? ['leaders', from.slice(7)] : ['coordinators', from];
  const person = directory.units[unit]?.[role as 'leaders' | 'coordinators'][0];
  if (!person) throw new Error(`corpus: no ${role} for ${unit}`);
  return person.name;
}

describe('reply corpus (dry run)', () => {
  it('has at least 150 replies', () => {
    expect(corpus.length).toBeGreaterThanOrEqual(150);
  });

  it.each(corpus.map((e, i) => [i + 1, e.text, e] as const))('%i. %s', (_n, _text, e) => {
    const result = dryRunReply({ text: e.text, from: personOf(e.from), year: 2022, at: e.at ?? '2022-05-06T10:00:00+08:00' });
    expect(result.intent).toBe(e.intent);
    if (e.codes) expect(result.duties.map((d) => d.code).sort()).toEqual([...e.codes].sort());
    if (e.intent === 'ignore') expect(result.answer).toBeUndefined();
    else expect(result.answer).toBeTruthy();
  });
});
