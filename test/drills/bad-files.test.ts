/** Drill: bad files. Truncated, garbled and wrongly encoded notices, plans and directories. */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadPlan } from '../../plan/files';
import { describe, expect, it } from 'vitest';

const root = join(__dirname, '..', '..');
const duban = join(root, 'bin', 'duban.js');
const seed = readFileSync(join(root, 'seeds', 'dazhu-2022-28.txt'));

function plan(bytes: Buffer | string, name: string, ...args: string[]) {
  const dir = mkdtempSync(join(tmpdir(), 'duban-drill-'));
  const file = join(dir, name);
  writeFileSync(file, bytes);
  const out = join(dir, 'plan.yaml');
  const run = spawnSync('node', [duban, 'plan', file, '--out', out, ...args], { encoding: 'utf8' });
  return { ...run, wrote: existsSync(out), file };
}

describe('drill: bad files', () => {
  it('refuses binary garbage and a UTF-16 notice, naming the file, writing nothing', () => {
    const garbage = plan(Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256)), 'garbage.bin', '--year', '2022');
    expect(garbage.status).toBe(1);
    expect(garbage.stderr).toContain(garbage.file);
    expect(garbage.wrote).toBe(false);
    const utf16 = plan(Buffer.from(`\ufeff${seed.toString('utf8')}`, 'utf16le'), 'notice-utf16.txt', '--year', '2022');
    expect(utf16.status).toBe(1);
    expect(utf16.stderr).toContain('没有找到编号任务');
    expect(utf16.wrote).toBe(false);
  });

  it('shows what is there of a notice cut mid-character; the last task, its units cut off, is written flagged and cannot run', () => {
    // Cut in the middle of a task (and of a UTF-8 character): still read as UTF-8, nothing invented.
    const half = seed.subarray(0, Math.floor(seed.length / 2));
    const shown = spawnSync('node', [duban, 'plan', '-', '--year', '2022', '--json'], { encoding: 'utf8', input: '' });
    expect(shown.status).toBe(1);
    // Written for the clerk to complete (#24), saying which task lacks its lead; the file refuses to run as it is.
    const cut = plan(half, 'truncated.txt', '--year', '2022');
    expect(cut.status).toBe(0);
    expect(cut.stderr).toMatch(/^任务\d+「.*」（.*truncated\.txt:\d+）：未找到牵头单位/m);
    expect(cut.wrote).toBe(true);
    expect(() => loadPlan(join(cut.file, '..', 'plan.yaml'))).toThrow(/tasks\[\d+\]\.lead/);
    const dir = mkdtempSync(join(tmpdir(), 'duban-drill-'));
    writeFileSync(join(dir, 'truncated.txt'), half);
    const json = JSON.parse(spawnSync('node', [duban, 'plan', join(dir, 'truncated.txt'), '--year', '2022', '--json'], { encoding: 'utf8' }).stdout) as {
      tasks: { number: number; lead: string }[];
    };
    expect(json.tasks.length).toBeGreaterThan(3);
    expect(json.tasks.length).toBeLessThan(23);
    expect(json.tasks.slice(0, -1).every((t) => t.lead !== '')).toBe(true);
  });

  it('refuses a truncated plan and a directory of the wrong shape, naming the line or path', () => {
    const dir = mkdtempSync(join(tmpdir(), 'duban-drill-'));
    const out = join(dir, 'plan.yaml');
    spawnSync('node', [duban, 'plan', join(root, 'seeds', 'dazhu-2022-28.txt'), '--year', '2022', '--out', out]);
    const text = readFileSync(out, 'utf8');
    writeFileSync(out, text.slice(0, Math.floor(text.length / 3)) + '\n  - number: [');
    const badPlan = spawnSync('node', [duban, 'simulate', '--plan', out, '--year', '2022'], { encoding: 'utf8' });
    expect(badPlan.status).toBe(1);
    expect(badPlan.stderr).toMatch(/plan\.yaml.*(第 \d+ 行|tasks)/);
    const units = join(dir, 'units.yaml');
    writeFileSync(units, 'units:\n  县民政局:\n    coordinators: 张三\n');
    const badDir = spawnSync('node', [duban, 'plan', join(root, 'seeds', 'dazhu-2022-28.txt'), '--year', '2022', '--directory', units, '--out', join(dir, 'p2.yaml')], { encoding: 'utf8' });
    expect(badDir.status).toBe(1);
    expect(badDir.stderr).toContain('units.yaml');
    expect(badDir.stderr).toMatch(/coordinators|supervisors/);
    expect(existsSync(join(dir, 'p2.yaml'))).toBe(false);
  });
});
