/**
 * The unit directory on the clerk's desk: upload the Excel directory (plan/directory-xlsx.ts checks it and names
 * the sheet, row and column of what is wrong), download the empty template, download the directory in use.
 * An upload that does not pass changes nothing; one that passes is kept as data/directory.yaml (the previous one
 * beside it as directory.yaml.<time>.bak) and is the desk's directory from then on, and the running worker's from its
 * next message (plan/directory-live.ts). A data/directory.yaml spoiled by hand stops the desk with a page that says
 * which file, where and what to do (the worker meanwhile keeps the last good one).
 */
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import { stringify } from 'yaml';
import { escapeHtml as h } from '../channels/render';
import type { Directory } from '../plan/directory';
import { directoryWorkbook } from '../plan/directory-workbook';
import { PEOPLE_COLUMNS, PLATFORM_ID_KEYS } from '../plan/directory-xlsx';
import { PlanFileError } from '../plan/errors';
import { loadDirectory } from '../plan/files';
import { DirectoryFile, directorySource } from '../plan/directory-live';
import type { UploadedFile } from './uploads';
import { messagePage } from './new-campaign-view';

/** The directory file cannot be read: the desk shows what is wrong instead of acting on a directory it cannot trust. */
export class DirectoryUnusableError extends Error {
  readonly code = 'DIRECTORY_UNUSABLE';
  constructor(readonly problem: PlanFileError) {
    super(`单位通讯录 ${problem.file} 无法使用：${problem.message}；请改正该文件或换回备份后刷新页面 (the directory file cannot be used)`, { cause: problem });
    this.name = 'DirectoryUnusableError';
  }
}

export class DirectoryStore {
  private readonly read: DirectoryFile;

  /** `file`: the desk's own directory (data/directory.yaml); `base`: the deployment's, used until one is uploaded. */
  constructor(
    readonly file: string,
    readonly base: string,
  ) {
    this.read = new DirectoryFile(() => directorySource(dirname(file), base));
  }

  /** Where the directory in use comes from. */
  source(): string {
    return directorySource(dirname(this.file), this.base);
  }

  /** The directory as its file is now; throws DirectoryUnusableError when that file does not load. */
  current(): Directory {
    let dir: Directory;
    try {
      dir = this.read.current();
    } catch (err) {
      if (err instanceof PlanFileError) throw new DirectoryUnusableError(err);
      throw err;
    }
    // Unlike the worker, the desk does not go on with the last good one: a clerk would edit against a directory
    // that is no longer the file's, and an upload would overwrite the spoiled file before anyone had read why.
    if (this.read.problem) throw new DirectoryUnusableError(this.read.problem);
    return dir;
  }

  /**
   * Checks an uploaded workbook; only a directory that passes every check replaces the current one. The error says
   * what and where (工作表“单位通讯录”第 6 行“角色”列), with the uploaded file's name, not the temporary one's.
   */
  replace(upload: UploadedFile, at: number): { ok: true; dir: Directory; previous: Directory } | { ok: false; why: string } {
    const ext = extname(upload.filename).toLowerCase() || '.xlsx';
    if (!['.xlsx', '.yaml', '.yml', '.xls', '.et', '.xlsm', '.csv'].includes(ext)) return { ok: false, why: `「${upload.filename}」不是 Excel 通讯录：请上传按模板填写的 .xlsx 文件` };
    // The ids an old template has no column for (企业微信账号, 钉钉账号) are kept from the directory in use; a spoiled
    // one has none to give (and is reported below, once the upload itself has passed).
    let held: Directory | undefined;
    try {
      held = this.current();
    } catch (err) {
      if (!(err instanceof DirectoryUnusableError)) throw err;
    }
    const tmpDir = join(this.file, '..', 'uploads');
    mkdirSync(tmpDir, { recursive: true });
    const tmp = join(tmpDir, `directory-${process.pid}-${at}${ext}`);
    writeFileSync(tmp, upload.bytes);
    let dir: Directory;
    try {
      dir = loadDirectory(tmp, held ? { held } : {});
    } catch (err) {
      const message = err instanceof PlanFileError ? err.message.replace(tmp, upload.filename) : `无法读取「${upload.filename}」（${err instanceof Error ? err.message : String(err)}）`;
      return { ok: false, why: message };
    } finally {
      rmSync(tmp, { force: true });
    }
    const previous = this.current();
    if (existsSync(this.file)) copyFileSync(this.file, `${this.file}.${new Date(at).toISOString().replace(/[:.]/g, '-')}.bak`);
    const next = `${this.file}.tmp-${process.pid}`;
    writeFileSync(next, `# duban 单位通讯录 · unit directory — uploaded on the dashboard (新建督办)\n${stringify(dir, { lineWidth: 0 })}`);
    renameSync(next, this.file);
    return { ok: true, dir, previous };
  }
}

/** The workbook bytes of a directory, or of the empty template. */
export async function directoryXlsx(dir?: Directory): Promise<Buffer> {
  return Buffer.from(await directoryWorkbook(dir).xlsx.writeBuffer());
}

/** How many people (of units, administrators, clerks) have an id on the platform. */
function withId(d: Directory, key: (typeof PLATFORM_ID_KEYS)[number]): number {
  const people = [...Object.values(d.units).flatMap((u) => [...u.coordinators, ...u.leaders]), ...d.admins, ...d.clerks];
  return people.filter((p) => p[key]).length;
}

/** What changed between two directories, in words (units added and removed, clerks, people with platform ids). */
export function directoryChanges(before: Directory, after: Directory): string[] {
  const b = new Set(Object.keys(before.units));
  const a = new Set(Object.keys(after.units));
  const added = [...a].filter((u) => !b.has(u));
  const removed = [...b].filter((u) => !a.has(u));
  const people = (d: Directory) => Object.values(d.units).reduce((n, u) => n + u.coordinators.length + u.leaders.length, 0);
  const clerks = (d: Directory) => d.clerks.map((c) => c.name).join('、') || '（无）';
  return [
    `${Object.keys(after.units).length} 个单位，${people(after)} 人（此前 ${Object.keys(before.units).length} 个单位，${people(before)} 人）`,
    ...(added.length ? [`新增单位：${added.join('、')}`] : []),
    ...(removed.length ? [`删除单位：${removed.join('、')}`] : []),
    ...(clerks(before) !== clerks(after) ? [`办公室文员：${clerks(before)} → ${clerks(after)}`] : []),
    // Fewer people with a platform id: replies from that platform are no longer recognised for them.
    ...PLATFORM_ID_KEYS.flatMap((key) => {
      const [was, now] = [withId(before, key), withId(after, key)];
      return now === was ? [] : [`填有${PEOPLE_COLUMNS.find((c) => c.key === key)!.title}的 ${now} 人（此前 ${was} 人）`];
    }),
  ];
}

/** The directory section of 「新建督办」. */
export function directorySection(o: { dir: Directory; source: string; csrf: string; error?: string; notice?: string }): string {
  const units = Object.keys(o.dir.units).length;
  const groups = Object.entries(o.dir.groups).map(([g, m]) => `${h(g)}（${m.length} 个单位）`);
  return `<section id="directory"><h2>单位通讯录</h2>
${o.error ? `<div class="error" id="directory-error"><b>通讯录未更新：</b>${h(o.error)}<br>原有通讯录未做任何改动。</div>` : ''}
${o.notice ? `<div class="ok" id="directory-ok">${h(o.notice)}</div>` : ''}
<p>当前通讯录：${units} 个单位，办公室文员 ${o.dir.clerks.length} 人${groups.length ? `；分组 ${groups.join('、')}` : ''}。<span class="muted">（${h(o.source)}）</span></p>
<p><a href="/new/directory/template.xlsx" download>下载空白模板（Excel）</a>&emsp;<a href="/new/directory/current.xlsx" download>下载当前通讯录（Excel）</a></p>
<form method="post" action="/new/directory" enctype="multipart/form-data"><input type="hidden" name="csrf" value="${h(o.csrf)}">
<label>上传填好的通讯录（.xlsx）<input type="file" name="file" accept=".xlsx" required></label> <button type="submit">检查并启用</button>
<p class="muted">有错误时指出工作表、行和列，原通讯录不变。</p></form></section>`;
}

/** The page the desk shows while its directory file does not load: which file, where, what is wrong, what to do. */
export function directoryUnusablePage(err: DirectoryUnusableError): string {
  const p = err.problem;
  const folder = dirname(p.file);
  const backups = existsSync(folder)
    ? readdirSync(folder)
        .filter((f) => f.startsWith(`${basename(p.file)}.`) && f.endsWith('.bak'))
        .sort()
        .reverse()
    : [];
  // The Chinese half of the place (第 3 行第 18 列, or 第 7 行 supervisors for a value the schema refused).
  const where = p.where.replace(/\s*\(line[^)]*\)$/, '') || '（文件本身）';
  return messagePage(
    '单位通讯录文件有误',
    `<div class="error" id="directory-unusable"><p><b>单位通讯录文件有误，「新建督办」暂停使用。</b></p>
<dl class="facts"><dt>文件</dt><dd><code id="directory-file">${h(p.file)}</code></dd><dt>位置</dt><dd id="directory-where">${h(where)}</dd><dt>问题</dt><dd id="directory-detail">${h(p.detail)}</dd></dl></div>
<h2>怎么办</h2><ol>
<li>用记事本等文本编辑器打开该文件，改正上面所说的位置（注意冒号后的空格、缩进和引号），保存后刷新本页。</li>
${backups.length ? `<li>或者换回上一次上传的通讯录：把同一文件夹中的 <code>${h(backups[0] ?? '')}</code> 复制为 <code>${h(basename(p.file))}</code>${backups.length > 1 ? `（共有 ${backups.length} 个备份，文件名中是上传时间）` : ''}。</li>` : ''}
<li>或者删除该文件，改用部署时配置的通讯录（DUBAN_DIRECTORY），再在本页重新上传 Excel 通讯录。</li>
</ol>
<p class="muted">在改正之前，已保存的计划、运行中的督办批次和操作记录都没有任何改动；提醒继续按 worker 最后读到的有效通讯录发送。</p>`,
  );
}
