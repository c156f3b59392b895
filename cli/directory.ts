/**
 * `duban directory template FILE.xlsx` (an empty directory to fill in), `duban directory check FILE` (validate a
 * YAML or .xlsx directory, say what it holds) and `duban directory convert FROM TO` (YAML ⇄ .xlsx).
 */
import { writeFileSync } from 'node:fs';
import { stringify } from 'yaml';
import type { Directory } from '../plan/directory';
import { directoryWorkbook, writeNewWorkbook } from '../plan/directory-workbook';
import { FileExistsError } from '../plan/errors';
import { loadDirectory } from '../plan/files';

const USAGE = '用法 usage: duban directory template FILE.xlsx | check FILE | convert FROM TO（.yaml ⇄ .xlsx）';

function say(line: string) {
  process.stdout.write(`${line}\n`);
}

export function describeDirectory(dir: Directory): string {
  const units = Object.values(dir.units);
  const people = units.reduce((n, u) => n + u.coordinators.length + u.leaders.length, 0);
  const groups = Object.entries(dir.groups).map(([g, m]) => `${g}（${m.length} 个单位）`);
  return (
    `${units.length} 个单位，${people} 人（联络员 ${units.reduce((n, u) => n + u.coordinators.length, 0)}），管理员 ${dir.admins.length} 人；` +
    `督办顺序 ${dir.supervisors.join(' → ')} → ${dir.disciplineOffice}${groups.length ? `；分组 ${groups.join('、')}` : ''}`
  );
}

/** A new file or none: 'wx' refuses a file that exists, even one that appeared a moment ago (a rename would replace it). */
function writeYaml(file: string, dir: Directory): void {
  try {
    writeFileSync(file, `# duban 单位通讯录 · unit directory\n${stringify(dir, { lineWidth: 0 })}`, { flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new FileExistsError(file);
    throw err;
  }
}

export async function directoryCommand(args: string[]): Promise<number> {
  const [verb, file, to] = args;
  if (verb === 'template' && file) {
    if (!/\.xlsx$/i.test(file)) throw new Error(`${file}: 模板须为 .xlsx 文件 (the template is an .xlsx file)`);
    await writeNewWorkbook(file, directoryWorkbook());
    say(`已写入单位通讯录模板 template written: ${file}（工作表：单位通讯录、督办设置、填写说明）。填好后运行 npx duban directory check ${file}`);
    return 0;
  }
  if (verb === 'check' && file) {
    say(`${file}：格式正确 (valid)。${describeDirectory(loadDirectory(file))}`);
    return 0;
  }
  if (verb === 'convert' && file && to) {
    const dir = loadDirectory(file);
    if (/\.xlsx$/i.test(to)) await writeNewWorkbook(to, directoryWorkbook(dir));
    else if (/\.ya?ml$/i.test(to)) writeYaml(to, dir);
    else throw new Error(`${to}: 须为 .xlsx 或 .yaml 文件 (convert to .xlsx or .yaml)`);
    say(`已写入 written: ${to}。${describeDirectory(dir)}`);
    return 0;
  }
  process.stderr.write(`${USAGE}\n`);
  return 2;
}
