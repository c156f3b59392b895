/** Plan and directory files: what loads, and the clear errors for what does not. */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expandUnits } from '../plan/directory';
import { loadDirectory, loadPlan, writePlan } from '../plan/files';
import { errorOf } from './error-of';

const root = join(__dirname, '..');
const seed = join(root, 'seeds', 'dazhu-2022-28.txt');
const sampleDirectory = join(root, 'seeds', 'dazhu-units.yaml');
const duban = join(root, 'bin', 'duban.js');
const tmp = () => mkdtempSync(join(tmpdir(), 'duban-plan-'));


describe('the sample directory', () => {
  const dir = loadDirectory(sampleDirectory);

  it('has fictional people only, at example.org', () => {
    for (const unit of Object.values(dir.units)) {
      for (const p of [...unit.coordinators, ...unit.leaders]) {
        expect(p.email).toMatch(/@example\.org$/);
        expect(p.name).toContain('虚构');
      }
    }
  });

  it('expands 各乡镇(街道) to its townships', () => {
    const units = expandUnits(dir, ['县民政局', '各乡镇(街道)']);
    expect(units[0]).toBe('县民政局');
    expect(units).toContain('竹阳街道');
    expect(units.length).toBeGreaterThan(5);
  });
});

describe('duban plan (the command)', () => {
  it('writes an editable plan that loads back against the sample directory', () => {
    const out = join(tmp(), 'plan.yaml');
    execFileSync('node', [duban, 'plan', seed, '--year', '2022', '--out', out, '--directory', sampleDirectory], { stdio: 'pipe' });
    const plan = loadPlan(out, loadDirectory(sampleDirectory));
    expect(plan.tasks).toHaveLength(23);
    expect(plan.tasks[0]?.deadlines[0]).toMatchObject({ date: '2022-05-31' });
  });

  it('prints the contract JSON shape with --json', () => {
    const json = JSON.parse(execFileSync('node', [duban, 'plan', seed, '--year', '2022', '--json'], { encoding: 'utf8' }));
    expect(json.year).toBe(2022);
    expect(Object.keys(json.tasks[0])).toEqual(
      expect.arrayContaining(['number', 'title', 'section', 'lead', 'coUnits', 'deadlines', 'recurring', 'quotas', 'targets']),
    );
    expect(json.tasks[18].deadlines.map((d: { date: string }) => d.date)).toEqual(['2022-03-31', '2022-04-30']);
  });

  it('prints a readable table', () => {
    const table = execFileSync('node', [duban, 'plan', seed, '--year', '2022'], { encoding: 'utf8' });
    expect(table).toContain('任务15 抓实队伍建设');
    expect(table).toContain('截止 deadline: 2022-06-30');
    expect(table).toContain('共 23 项任务');
  });

  it('refuses a non-notice with exit 1 and writes nothing', () => {
    const dir = tmp();
    const bad = join(dir, 'diary.txt');
    writeFileSync(bad, '今天天气很好。\n');
    const out = join(dir, 'plan.yaml');
    const run = spawnSync('node', [duban, 'plan', bad, '--out', out], { encoding: 'utf8' });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('没有找到编号任务');
    expect(run.stderr).toContain(bad);
    expect(existsSync(out)).toBe(false);
  });

  it('writes a plan naming a unit the directory does not know, flagging it on its task, and loading it names the field', () => {
    const dir = tmp();
    const units = readFileSync(sampleDirectory, 'utf8').replace('  县妇联:', '  县妇女联合会:');
    writeFileSync(join(dir, 'units.yaml'), units);
    const out = join(dir, 'plan.yaml');
    const run = spawnSync('node', [duban, 'plan', seed, '--year', '2022', '--out', out, '--directory', join(dir, 'units.yaml')], { encoding: 'utf8' });
    expect(run.status).toBe(0);
    expect(run.stderr).toMatch(/^任务1「完善防返贫动态监测帮扶机制」（.*:26）：通讯录中没有「县妇联」/m);
    expect(run.stdout).toContain('⚠ 请核对 check (coUnits): 通讯录中没有「县妇联」');
    const err = errorOf(() => loadPlan(out, loadDirectory(join(dir, 'units.yaml'))));
    expect(err.message).toContain('未知单位「县妇联」');
    expect(err.message).toContain('tasks[0].coUnits[13]');
  });
});

describe('bad plan and directory files', () => {
  function planFile(edit: (text: string) => string): string {
    const dir = tmp();
    const out = join(dir, 'plan.yaml');
    execFileSync('node', [duban, 'plan', seed, '--year', '2022', '--out', out], { stdio: 'pipe' });
    writeFileSync(out, edit(readFileSync(out, 'utf8')));
    return out;
  }

  it('names the line of a date that does not exist', () => {
    const file = planFile((t) => t.replace('date: 2022-05-31', 'date: 2022-02-30'));
    const err = errorOf(() => loadPlan(file));
    expect(err.message).toMatch(/plan\.yaml 第 \d+ 行 tasks\[0\]\.deadlines\[0\]\.date/);
    expect(err.message).toContain('须为存在的日期');
  });

  it('names the line of malformed YAML', () => {
    const file = planFile((t) => t.replace('tasks:', 'tasks: [oops'));
    const err = errorOf(() => loadPlan(file));
    expect(err).toMatchObject({ code: 'BAD_YAML' });
    expect(err.message).toMatch(/第 \d+ 行/);
  });

  it('names an unknown unit with its path and task', () => {
    const file = planFile((t) => t.replace('lead: 县委宣传部', 'lead: 县宣传局'));
    const err = errorOf(() => loadPlan(file, loadDirectory(sampleDirectory)));
    expect(err).toMatchObject({ code: 'UNKNOWN_UNIT' });
    expect(err.message).toContain('tasks[21].lead（任务22）');
    expect(err.message).toContain('未知单位「县宣传局」');
  });

  it('names a malformed email and a duplicate contact in the directory', () => {
    const dir = tmp();
    const bad = join(dir, 'units.yaml');
    writeFileSync(bad, readFileSync(sampleDirectory, 'utf8').replace('u01.coordinator@example.org', 'u01.coordinator.example.org'));
    expect(errorOf(() => loadDirectory(bad)).message).toMatch(/units\.县乡村振兴局\.coordinators\[0\]\.email.*邮箱格式不正确/s);
    writeFileSync(bad, readFileSync(sampleDirectory, 'utf8').replace('demo-u02-coordinator', 'demo-u01-coordinator'));
    expect(errorOf(() => loadDirectory(bad)).message).toContain('联系人重复：demo-u01-coordinator 已登记在 units.县乡村振兴局.coordinators[0].wechat');
  });

  it('never writes a plan that does not validate', () => {
    const out = join(tmp(), 'plan.yaml');
    expect(() => writePlan(out, { year: 2022, title: 't', tasks: [{ number: 1, title: 'x', lead: '' }] })).toThrow(/lead/);
    expect(existsSync(out)).toBe(false);
  });
});
