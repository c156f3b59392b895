/**
 * Reading and writing plan and directory files. Errors name the file and the line (YAML) or path, and
 * say what to fix; a write happens only after everything validated, through a temporary file and rename.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { parseDocument, stringify, type Document } from 'yaml';
import type { z } from 'zod';
import { directorySchema, isKnownUnitOrGroup, type Directory } from './directory';
import { directoryFromSheets } from './directory-xlsx';
import { fromZod, pathText, PlanFileError } from './errors';
import { planSchema, type Plan, type ValidPlan } from './schema';
import { readWorkbookSync, WorkbookReadError } from './workbook-sync';
import { checkUnzippedSize, OfficeFileError } from '../notice/zip';

function lineOf(text: string, offset: number): number {
  return positionOf(text, offset).line;
}

/** Line and column (1-based, in characters) of an offset, as an editor shows them. */
function positionOf(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let start = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text[i] === '\n') {
      line++;
      start = i + 1;
    }
  }
  return { line, column: Math.min(offset, text.length) - start + 1 };
}

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (cause) {
    throw new PlanFileError('UNREADABLE', file, '', `无法读取文件 (cannot read the file): ${(cause as Error).message}`, { cause });
  }
}

function parseYamlFile(file: string, text: string): { doc: Document; data: unknown } {
  const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: true });
  const first = doc.errors[0];
  if (first) {
    const { line, column } = positionOf(text, first.pos[0]);
    throw new PlanFileError('BAD_YAML', file, `第 ${line} 行第 ${column} 列 (line ${line}, column ${column})`, `YAML 格式错误 (malformed YAML): ${first.message.split('\n')[0]}`, { line, column });
  }
  return { doc, data: doc.toJS() };
}

/** Zod issues with the YAML line of the offending node where it can be found. */
function validate<S extends z.ZodType>(schema: S, file: string, text: string, doc: Document, data: unknown): z.output<S> {
  const parsed = schema.safeParse(data);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const path = issue?.path ?? [];
  for (let n = path.length; n > 0; n--) {
    const node = doc.getIn(path.slice(0, n) as (string | number)[], true) as { range?: [number, number] } | undefined;
    if (node && typeof node === 'object' && node.range) {
      const line = lineOf(text, node.range[0]);
      const err = fromZod(file, parsed.error);
      throw new PlanFileError('INVALID', file, `第 ${line} 行 ${pathText(path)} (line ${line})`, err.message.slice(err.message.indexOf(':') + 1).trim(), { line });
    }
  }
  throw fromZod(file, parsed.error);
}

/**
 * Why a directory file is not what its name says, from its first bytes and extension: offices keep contact
 * lists as .xls (or WPS's .et) and export .csv, and neither is YAML — read as YAML they fail with nothing useful.
 */
export function spreadsheetProblem(file: string, bytes: Uint8Array): string | undefined {
  const ext = extname(file).toLowerCase();
  const saveAs = `请在 Excel/WPS 中打开 ${basename(file)}，另存为 .xlsx（Excel 工作簿）后使用新文件`;
  // D0 CF 11 E0: the compound file of .xls, .et and of password-protected .xlsx.
  if (bytes[0] === 0xd0 && bytes[1] === 0xcf && bytes[2] === 0x11 && bytes[3] === 0xe0) {
    return ext === '.xlsx'
      ? `是旧版 Excel/WPS 格式或设置了打开密码的工作簿，无法读取：${saveAs}（不设密码）(an old-format or password-protected workbook: save it as .xlsx)`
      : `是旧版 Excel/WPS 表格（.xls/.et）：${saveAs} (an old-format spreadsheet: save it as .xlsx)`;
  }
  if (ext === '.xlsx') return undefined;
  if (bytes[0] === 0x50 && bytes[1] === 0x4b) return `是压缩格式的表格或文档（${ext || '无扩展名'}），不是单位通讯录可用的格式：${saveAs} (a zip file, not YAML: save it as .xlsx)`;
  if (['.xls', '.et', '.ett', '.xlsm', '.xlsb', '.ods', '.csv', '.tsv'].includes(ext)) {
    return `${ext} 文件不能直接使用：${saveAs}，或改写为 YAML 格式 (${ext} is not read: save it as .xlsx)`;
  }
  return undefined;
}

/**
 * The unit directory from YAML, or from an .xlsx (plan/directory-xlsx.ts) — chosen by the extension and content.
 * `held`: the directory in use, when `file` is to replace it (an upload on the dashboard): an .xlsx without the
 * 企业微信账号 or 钉钉账号 column keeps its people's ids from it (plan/directory-xlsx.ts). A YAML file says every id itself.
 */
export function loadDirectory(file: string, o: { held?: Directory } = {}): Directory {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (cause) {
    throw new PlanFileError('UNREADABLE', file, '', `无法读取文件 (cannot read the file): ${(cause as Error).message}`, { cause });
  }
  const problem = spreadsheetProblem(file, bytes);
  if (problem) throw new PlanFileError('UNREADABLE', file, '', problem);
  if (/\.xlsx$/i.test(file)) {
    // exceljs unpacks every part into memory: a workbook that unpacks to hundreds of MB is refused first (a file that
    // is no zip at all is left to exceljs, whose refusal says to save it as .xlsx).
    try {
      if (bytes[0] === 0x50 && bytes[1] === 0x4b) checkUnzippedSize(bytes);
    } catch (err) {
      if (err instanceof OfficeFileError) throw new PlanFileError('UNREADABLE', file, '', err.message, { cause: err });
      throw err;
    }
    return loadDirectoryWorkbook(file, o.held);
  }
  const text = bytes.toString('utf8');
  const { doc, data } = parseYamlFile(file, text);
  return validate(directorySchema, file, text, doc, data);
}

function loadDirectoryWorkbook(file: string, held?: Directory): Directory {
  let sheets;
  try {
    sheets = readWorkbookSync(file);
  } catch (cause) {
    // Out of memory or a dead reading thread say so themselves; only a file exceljs refused is "not an .xlsx".
    const detail =
      cause instanceof WorkbookReadError && cause.code !== 'UNREADABLE'
        ? cause.message
        : `不是可读取的 Excel (.xlsx) 文件：${(cause as Error).message}。请在 Excel/WPS 中“另存为” .xlsx 格式 (not a readable .xlsx)`;
    throw new PlanFileError('UNREADABLE', file, '', detail, { cause });
  }
  return directoryFromSheets(file, sheets, held ? { held } : {});
}

/** Every unit a plan names must be in the directory (as a unit or a group). */
export function checkPlanUnits(plan: ValidPlan, dir: Directory, file: string): void {
  plan.tasks.forEach((task, i) => {
    const names: [string, string][] = [
      [`tasks[${i}].lead`, task.lead],
      ...(task.leads ?? []).slice(1).map((u, j): [string, string] => [`tasks[${i}].leads[${j + 1}]`, u]),
      ...task.coUnits.map((u, j): [string, string] => [`tasks[${i}].coUnits[${j}]`, u]),
    ];
    for (const [path, name] of names) {
      if (!isKnownUnitOrGroup(dir, name)) {
        throw new PlanFileError(
          'UNKNOWN_UNIT',
          file,
          `${path}（任务${task.number}）`,
          `未知单位「${name}」：请在单位通讯录中登记，或改正计划中的单位名称 (unknown unit: add it to the directory or fix the plan)`,
        );
      }
    }
    // Parts report to one lead unit, which reviews them: a group (eight townships) cannot be that one unit.
    if (task.accountable === 'lead+co' && task.lead in dir.groups) {
      throw new PlanFileError(
        'GROUP_LEAD',
        file,
        `tasks[${i}].lead（任务${task.number}）`,
        `lead+co 的牵头单位须是一个单位，「${task.lead}」是单位组：请写明牵头的单位，或改为 all (a lead+co lead must be one unit, not a group)`,
      );
    }
  });
}

export function loadPlan(file: string, dir?: Directory): ValidPlan {
  const text = readText(file);
  const { doc, data } = parseYamlFile(file, text);
  const plan = validate(planSchema, file, text, doc, data);
  if (dir) checkPlanUnits(plan, dir, file);
  return plan;
}

/** Validates, then writes atomically: a plan that does not validate is never written. */
/** What the table shows, and what a draft is checked as, where a task's lead is still to be filled in. */
export const LEAD_TO_FILL = '（未找到牵头单位，请填写）';

/**
 * Writes a plan for people to check. `draft`: a task with no lead yet is written as it is (its lead empty, its
 * `review` saying so) for the clerk to fill in; everything else must already be valid. `campaign start` refuses
 * the file until every lead is there.
 */
export function writePlan(file: string, plan: Plan, o: { draft?: boolean } = {}): ValidPlan {
  const checked = o.draft ? { ...plan, tasks: plan.tasks.map((t) => (t.lead ? t : { ...t, lead: LEAD_TO_FILL })) } : plan;
  const parsed = planSchema.safeParse(checked);
  if (!parsed.success) throw fromZod(file, parsed.error);
  const header =
    `# duban 督办计划 · duty plan — generated from ${plan.source ?? 'a notice'}; check and correct, then run it.\n` +
    `# accountable: lead = 仅牵头单位负责 (lead unit only) | all = 所列单位各自负责 (every listed unit)\n` +
    `#   | lead+co = 牵头单位负责全项，配合单位各自报送承担部分 (the lead for the task, each co-unit for its part)\n`;
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, header + stringify(plan, { lineWidth: 0 }));
  renameSync(tmp, file);
  return parsed.data;
}
