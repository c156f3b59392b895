/**
 * The unit directory as an Excel workbook, the way an office keeps its contact list: one row per person on
 * the sheet 单位通讯录, the county-wide settings on 督办设置. Pure: cells in, the same Directory the YAML gives
 * out, validated by the same zod schema; every error names the sheet, row and column to fix.
 */
import { directorySchema, type Directory, type Person } from './directory';
import { pathText, PlanFileError } from './errors';
import type { SheetCells } from './workbook-sync';

export const PEOPLE_SHEET = '单位通讯录';
export const SETTINGS_SHEET = '督办设置';
export const HELP_SHEET = '填写说明';

/** Columns of 单位通讯录, in the order the template writes them, with the headings also accepted. */
export const PEOPLE_COLUMNS = [
  { key: 'unit', title: '单位', also: ['单位名称'] },
  { key: 'name', title: '姓名', also: [] },
  { key: 'role', title: '角色', also: ['身份'] },
  { key: 'wechat', title: '微信号', also: ['微信'] },
  { key: 'mobile', title: '手机', also: ['手机号', '手机号码'] },
  { key: 'email', title: '邮箱', also: ['电子邮箱', '邮件'] },
  { key: 'wechatGroup', title: '工作群', also: ['微信群', '工作群名称'] },
  { key: 'wechatGroupId', title: '工作群ID', also: ['群ID'] },
  { key: 'wecomWebhook', title: '企业微信机器人', also: ['企业微信群机器人'] },
  { key: 'groups', title: '所属分组', also: ['分组'] },
  // The platform ids were added last: the older template's columns keep their places, so rows copied
  // from a workbook made on it line up.
  /** The person's WeCom userid (`wecom`: 管理后台 → 通讯录 → 成员详情 →「账号」). */
  { key: 'wecom', title: '企业微信账号', also: ['企业微信', '企业微信号', '企业微信ID', '企业微信UserID', '企业微信userid'] },
  /** The person's DingTalk userid or unionId (`dingtalk`: 成员详情 →「员工 UserID」). */
  { key: 'dingtalk', title: '钉钉账号', also: ['钉钉', '钉钉号', '钉钉ID', '钉钉UserID', '钉钉userid'] },
] as const;
type ColumnKey = (typeof PEOPLE_COLUMNS)[number]['key'];

/** The person's platform ids: a workbook without their column keeps the ids the directory in use holds (keepHeldIds). */
export const PLATFORM_ID_KEYS = ['wecom', 'dingtalk'] as const satisfies readonly ColumnKey[];
type PlatformIdKey = (typeof PLATFORM_ID_KEYS)[number];

/** Unit-level columns: given on any row of the unit (usually its first); rows that repeat them must agree. */
const UNIT_COLUMNS = ['wechatGroup', 'wechatGroupId', 'wecomWebhook', 'groups'] as const satisfies readonly ColumnKey[];

export const ROLES = {
  联络员: 'coordinators',
  分管领导: 'leaders',
  领导: 'leaders',
  管理员: 'admins',
  系统管理员: 'admins',
  /** Office clerks who use 「新建督办」 on the dashboard (0.9.1); their 单位 is optional. */
  办公室文员: 'clerks',
  文员: 'clerks',
  督查室: 'clerks',
  督查员: 'clerks',
} as const;


/** Rows of 督办设置: label in column A, value in column B. */
export const SETTINGS = [
  { key: 'supervisors', title: '督办单位（按升级顺序）', required: true, hint: '如：县乡村振兴局、县委农办（用顿号分隔；先督办的在前）' },
  { key: 'ruralWorkOffice', title: '县委农办', required: true, hint: '督办第二级的单位名称，如：县委农办' },
  { key: 'disciplineOffice', title: '纪委监委', required: true, hint: '最终督办的单位名称，如：县纪委监委' },
  { key: 'wecomWebhook', title: '全县企业微信机器人', required: false, hint: '可不填：全县群机器人 key 或完整地址，没有自己机器人的单位在此群被 @（按手机号）' },
] as const;

/** Splits a cell listing several names: 、 , ， ; ； or line breaks. */
export function splitNames(text: string): string[] {
  return text
    .split(/[、,，;；\n]+/)
    .map((s) => s.trim())
    .filter(Boolean);
}

/** Headings compare without spaces and without a parenthesised note: 「督办单位(按升级顺序)」 is 「督办单位」. */
function normalize(heading: string): string {
  return heading.replace(/\s+/g, '').replace(/[（(][^）)]*[）)]/g, '');
}

interface Where {
  sheet: string;
  row?: number;
  column?: string;
}

/** The column a heading names, through its accepted variants (「单位名称」 is 单位). */
function columnOf(heading: string): (typeof PEOPLE_COLUMNS)[number] | undefined {
  const text = normalize(heading);
  return PEOPLE_COLUMNS.find((c) => text === c.title || (c.also as readonly string[]).includes(text));
}

function whereText(w: Where): string {
  return `工作表“${w.sheet}”${w.row ? `第 ${w.row} 行` : ''}${w.column ? `“${w.column}”列` : ''}`;
}

function whereEnglish(w: Where): string {
  return `sheet ${w.sheet}${w.row ? `, row ${w.row}` : ''}${w.column ? `, column ${w.column}` : ''}`;
}

function fail(file: string, w: Where, detail: string): never {
  throw new PlanFileError('INVALID', file, `${whereText(w)} (${whereEnglish(w)})`, detail);
}

function findSheet(sheets: SheetCells[], name: string): SheetCells | undefined {
  return sheets.find((s) => s.name.trim() === name);
}

/**
 * Whether a row below the header lists a person, from the values it has in duban's columns. Not a person: a row
 * with only 序号 or 备注; a note merged across the row; a lone footer or heading (「填表人：王五」, 「一、县直部门」 —
 * no name or unit has a colon or starts with an ordinal), wherever the clerk typed it; a merged 单位 cell running
 * on below its people. A name without a role is a person, and an error later.
 */
export function isPersonRow(filled: string[], unit: string | undefined, unitAbove: string | undefined): boolean {
  if (!filled.length) return false;
  if (filled.length > 1) return filled.some((v) => v !== filled[0]);
  const only = filled[0]!;
  if (/[:：]/.test(only) || /^([一二三四五六七八九十]+、|[（(][一二三四五六七八九十]+[）)])/.test(only)) return false;
  return !(unit !== undefined && unit === unitAbove);
}

/**
 * Maps a workbook's cells onto the directory; throws a PlanFileError naming sheet, row and column.
 *
 * `held`, the directory in use (the dashboard's upload): a workbook with no 企业微信账号 or 钉钉账号 column (made from an
 * older template, or a clerk's own list) keeps, for each person, the ids `held` has for the same person,
 * rather than wiping them. A workbook that has the column says what the ids are: an empty cell there is no id.
 */
export function directoryFromSheets(file: string, sheets: SheetCells[], o: { held?: Directory } = {}): Directory {
  // The sheet named 单位通讯录, else the first other sheet (a clerk's own list under its own name).
  const people = findSheet(sheets, PEOPLE_SHEET) ?? sheets.find((s) => ![SETTINGS_SHEET, HELP_SHEET].includes(s.name.trim()));
  if (!people) {
    throw new PlanFileError('INVALID', file, '', `找不到工作表“${PEOPLE_SHEET}”（现有：${sheets.map((s) => s.name).join('、') || '无'}）；可用 npx duban directory template 生成模板 (no sheet named ${PEOPLE_SHEET})`);
  }
  const sources = new Map<string, Where>();
  const at = (path: (string | number)[], w: Where) => {
    if (!sources.has(JSON.stringify(path))) sources.set(JSON.stringify(path), w);
  };

  // The header row is the first row naming both 单位 and 姓名, under any accepted heading (a title row above it is fine).
  const header = people.rows.find((r) => {
    const keys = Object.values(r.cells).map((text) => columnOf(text)?.key);
    return keys.includes('unit') && keys.includes('name');
  });
  if (!header) fail(file, { sheet: people.name }, `找不到表头行：须有“单位”“姓名”“角色”列，可用 npx duban directory template 生成模板 (no header row)`);
  const columns = new Map<ColumnKey, { col: number; title: string }>();
  for (const [col, text] of Object.entries(header.cells)) {
    const spec = columnOf(text);
    if (spec && !columns.has(spec.key)) columns.set(spec.key, { col: Number(col), title: text });
  }
  if (!columns.has('role')) fail(file, { sheet: people.name, row: header.row }, '缺少“角色”列（联络员 / 分管领导 / 管理员）(no role column)');

  const units: Record<string, { coordinators: Person[]; leaders: Person[]; [field: string]: unknown }> = {};
  const unitFieldRow = new Map<string, number>();
  const groups: Record<string, string[]> = {};
  const admins: Person[] = [];
  const clerks: (Person & { unit?: string })[] = [];
  let previousUnit: string | undefined;
  for (const { row, cells } of people.rows.filter((r) => r.row > header.row)) {
    const cell = (key: ColumnKey) => {
      const c = columns.get(key);
      return c ? cells[c.col] : undefined;
    };
    const column = (key: ColumnKey) => columns.get(key)?.title ?? PEOPLE_COLUMNS.find((c) => c.key === key)!.title;
    const filled = [...columns.keys()].flatMap((key) => cell(key) ?? []);
    const unitText = cell('unit');
    const unitAbove = previousUnit;
    previousUnit = unitText;
    if (!isPersonRow(filled, unitText, unitAbove)) continue;
    if (filled.length === 1 && unitText) {
      fail(file, { sheet: people.name, row, column: column('unit') }, `只有单位「${unitText}」，没有姓名和角色：请补全或删去这一行 (a unit without a person)`);
    }
    const roleText = cell('role') ?? '';
    const role: (typeof ROLES)[keyof typeof ROLES] | undefined = (ROLES as Record<string, (typeof ROLES)[keyof typeof ROLES]>)[roleText.replace(/\s+/g, '')];
    if (!role) {
      fail(
        file,
        { sheet: people.name, row, column: column('role') },
        roleText
          ? `角色「${roleText}」无法识别：请填 联络员、分管领导 或 管理员（办公室文员另填 办公室文员）(role must be 联络员, 分管领导 or 管理员)`
          : `角色未填：请填 联络员、分管领导 或 管理员 (the role is missing)`,
      );
    }
    const person: Person = { name: cell('name') ?? '' };
    // With its column present, an empty 企业微信账号 / 钉钉账号 cell means the person has no such id (the clerk
    // removed it); without the column the ids come from `held` below.
    for (const key of ['wechat', 'email', 'mobile', ...PLATFORM_ID_KEYS] as const) {
      const value = cell(key);
      if (value) person[key] = value;
    }
    const place = (path: (string | number)[]) => {
      at(path, { sheet: people.name, row, column: column('name') });
      for (const key of ['name', 'wechat', 'email', 'mobile', ...PLATFORM_ID_KEYS] as const) at([...path, key], { sheet: people.name, row, column: column(key) });
    };
    if (role === 'admins') {
      place(['admins', admins.length]);
      admins.push(person);
      continue;
    }
    if (role === 'clerks') {
      place(['clerks', clerks.length]);
      const office = cell('unit');
      clerks.push(office ? { ...person, unit: office } : person);
      continue;
    }
    const unitName = cell('unit');
    if (!unitName) fail(file, { sheet: people.name, row, column: column('unit') }, '单位不能为空（同一单位的多行可合并单元格）(the unit is required)');
    const unit = (units[unitName] ??= { coordinators: [], leaders: [] });
    at(['units', unitName], { sheet: people.name, row, column: column('unit') });
    at(['units', unitName, 'coordinators'], { sheet: people.name, row, column: column('role') });
    place(['units', unitName, role, unit[role].length]);
    unit[role].push(person);
    for (const key of UNIT_COLUMNS) {
      const value = cell(key);
      if (!value) continue;
      const first = unitFieldRow.get(`${unitName}/${key}`);
      if (key === 'groups') {
        for (const g of splitNames(value)) {
          const members = (groups[g] ??= []);
          if (members.includes(unitName)) continue;
          at(['groups', g, members.length], { sheet: people.name, row, column: column(key) });
          members.push(unitName);
        }
      } else if (first !== undefined && unit[key] !== value) {
        fail(file, { sheet: people.name, row, column: column(key) }, `与第 ${first} 行不一致：「${value}」≠「${String(unit[key])}」。同一单位的${column(key)}只填一次即可 (differs from row ${first})`);
      } else {
        unit[key] = value;
        at(['units', unitName, key], { sheet: people.name, row, column: column(key) });
      }
      if (first === undefined) unitFieldRow.set(`${unitName}/${key}`, row);
    }
  }

  const missing = PLATFORM_ID_KEYS.filter((key) => !columns.has(key));
  if (o.held && missing.length) keepHeldIds(o.held, missing, { units, admins, clerks });

  const settings = readSettings(file, sheets, at);
  const data = { units, groups, admins, ...(clerks.length ? { clerks } : {}), ...settings };
  const parsed = directorySchema.safeParse(data);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  // The nearest cell the offending value came from; other paths the message mentions become rows too.
  let where: Where = { sheet: people.name };
  for (let n = issue.path.length; n >= 0; n--) {
    const w = sources.get(JSON.stringify(issue.path.slice(0, n)));
    if (w) {
      where = w;
      break;
    }
  }
  let detail = issue.message;
  // Longest paths first: units.X.coordinators[0].wechat before units.X, which it contains.
  const mentions = [...sources].map(([path, w]) => [pathText(JSON.parse(path) as (string | number)[]), w] as const).sort((a, b) => b[0].length - a[0].length);
  for (const [text, w] of mentions) if (text) detail = detail.replaceAll(text, w.row ? `第 ${w.row} 行` : whereText(w));
  const more = parsed.error.issues.length > 1 ? `（另有 ${parsed.error.issues.length - 1} 处问题，改正后再检查 / ${parsed.error.issues.length - 1} more）` : '';
  return fail(file, where, `${detail}${more}`);
}

/**
 * For a workbook without the given id columns: each person gets the ids `held` has for the same person — same unit
 * (none for an administrator) and same name. One held entry serves one person: the one in the same role if the name
 * is listed twice in the unit, else the first (a coordinator who became the unit's leader keeps their ids).
 */
function keepHeldIds(
  held: Directory,
  keys: readonly PlatformIdKey[],
  read: { units: Record<string, { coordinators: Person[]; leaders: Person[] }>; admins: Person[]; clerks: (Person & { unit?: string })[] },
): void {
  const pools = new Map<string, { role: string; person: Person }[]>();
  const add = (scope: string, name: string, role: string, person: Person) => {
    const id = JSON.stringify([scope, name]);
    pools.set(id, [...(pools.get(id) ?? []), { role, person }]);
  };
  for (const [unit, u] of Object.entries(held.units)) for (const role of ['coordinators', 'leaders'] as const) for (const p of u[role]) add(`unit:${unit}`, p.name, role, p);
  for (const p of held.admins) add('admins', p.name, 'admins', p);
  for (const { unit, ...p } of held.clerks) add(`clerk:${unit ?? ''}`, p.name, 'clerks', p);
  const keep = (scope: string, role: string, person: Person) => {
    const pool = pools.get(JSON.stringify([scope, person.name]));
    if (!pool?.length) return;
    const n = Math.max(0, pool.findIndex((e) => e.role === role));
    const before = pool.splice(n, 1)[0]!.person;
    for (const key of keys) if (before[key]) person[key] = before[key];
  };
  for (const [unit, u] of Object.entries(read.units)) for (const role of ['coordinators', 'leaders'] as const) for (const p of u[role]) keep(`unit:${unit}`, role, p);
  for (const p of read.admins) keep('admins', 'admins', p);
  for (const p of read.clerks) keep(`clerk:${p.unit ?? ''}`, 'clerks', p);
}

function readSettings(file: string, sheets: SheetCells[], at: (path: (string | number)[], w: Where) => void): Record<string, unknown> {
  const sheet = findSheet(sheets, SETTINGS_SHEET);
  if (!sheet) {
    throw new PlanFileError('INVALID', file, '', `缺少工作表“${SETTINGS_SHEET}”：须写明督办单位（按升级顺序）、县委农办、纪委监委；可用 npx duban directory template 生成模板 (no sheet named ${SETTINGS_SHEET})`);
  }
  const out: Record<string, unknown> = {};
  for (const { row, cells } of sheet.rows) {
    const label = normalize(cells[1] ?? '');
    if (!label || label === '项目') continue;
    const spec = SETTINGS.find((s) => normalize(s.title) === label);
    if (!spec) {
      fail(file, { sheet: sheet.name, row, column: '项目' }, `无法识别的项目「${cells[1]}」：可填 ${SETTINGS.map((s) => s.title).join('、')} (unknown setting)`);
    }
    const value = cells[2];
    const where = { sheet: sheet.name, row, column: '内容' };
    if (!value) {
      if (spec.required) fail(file, where, `“${spec.title}”不能为空：${spec.hint} (required)`);
      continue;
    }
    if (spec.key === 'supervisors') {
      out.supervisors = splitNames(value);
      splitNames(value).forEach((_, i) => at(['supervisors', i], where));
    } else {
      out[spec.key] = value;
    }
    at([spec.key], where);
  }
  for (const spec of SETTINGS) {
    if (spec.required && !(spec.key in out)) fail(file, { sheet: sheet.name }, `缺少“${spec.title}”一行：${spec.hint} (missing setting)`);
  }
  return out;
}

/** The rows of 单位通讯录 for a directory (its units' people, then the administrators), for writing. */
export function peopleRows(dir: Directory): Record<ColumnKey, string>[] {
  const unitGroups = (unit: string) => Object.entries(dir.groups).filter(([, members]) => members.includes(unit)).map(([g]) => g).join('、');
  const row = (unit: string, role: string, p: Person, unitFields: Partial<Record<ColumnKey, string>>): Record<ColumnKey, string> => ({
    unit,
    name: p.name,
    role,
    wechat: p.wechat ?? '',
    mobile: p.mobile ?? '',
    email: p.email ?? '',
    wecom: p.wecom ?? '',
    dingtalk: p.dingtalk ?? '',
    wechatGroup: '',
    wechatGroupId: '',
    wecomWebhook: '',
    groups: '',
    ...unitFields,
  });
  const rows: Record<ColumnKey, string>[] = [];
  for (const [name, u] of Object.entries(dir.units)) {
    // Unit-level fields on the unit's first row only: one place to change them.
    let unitFields: Partial<Record<ColumnKey, string>> = {
      wechatGroup: u.wechatGroup ?? '',
      wechatGroupId: u.wechatGroupId ?? '',
      wecomWebhook: u.wecomWebhook ?? '',
      groups: unitGroups(name),
    };
    for (const p of u.coordinators) {
      rows.push(row(name, '联络员', p, unitFields));
      unitFields = {};
    }
    for (const p of u.leaders) {
      rows.push(row(name, '分管领导', p, unitFields));
      unitFields = {};
    }
  }
  for (const p of dir.admins) rows.push(row('', '管理员', p, {}));
  for (const { unit, ...p } of dir.clerks ?? []) rows.push(row(unit ?? '', '办公室文员', p, {}));
  return rows;
}

/** The values of 督办设置 for a directory (empty for a template). */
export function settingsValues(dir?: Directory): Record<(typeof SETTINGS)[number]['key'], string> {
  return {
    supervisors: dir?.supervisors.join('、') ?? '',
    ruralWorkOffice: dir?.ruralWorkOffice ?? '',
    disciplineOffice: dir?.disciplineOffice ?? '',
    wecomWebhook: dir?.wecomWebhook ?? '',
  };
}
