/**
 * The unit directory on the clerk's desk: upload the Excel directory (plan/directory-xlsx.ts checks it and names
 * the sheet, row and column of what is wrong), download the empty template, download the directory in use.
 * An upload that does not pass changes nothing; one that passes is kept as data/directory.yaml (the previous one
 * beside it as directory.yaml.<time>.bak) and is the desk's directory from then on. The worker keeps the one it
 * started with until restarted with DUBAN_DIRECTORY=data/directory.yaml (docs/operating.md).
 */
import { existsSync, mkdirSync, renameSync, rmSync, statSync, writeFileSync, copyFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { stringify } from 'yaml';
import { escapeHtml as h } from '../channels/render';
import type { Directory } from '../plan/directory';
import { directoryWorkbook } from '../plan/directory-workbook';
import { PlanFileError } from '../plan/errors';
import { loadDirectory } from '../plan/files';
import type { UploadedFile } from './uploads';

export class DirectoryStore {
  private cached: { file: string; mtimeMs: number; dir: Directory } | undefined;

  /** `file`: the desk's own directory (data/directory.yaml); `base`: the deployment's, used until one is uploaded. */
  constructor(
    readonly file: string,
    readonly base: string,
  ) {}

  /** Where the directory in use comes from. */
  source(): string {
    return existsSync(this.file) ? this.file : this.base;
  }

  current(): Directory {
    const file = this.source();
    const mtimeMs = statSync(file).mtimeMs;
    if (!this.cached || this.cached.file !== file || this.cached.mtimeMs !== mtimeMs) this.cached = { file, mtimeMs, dir: loadDirectory(file) };
    return this.cached.dir;
  }

  /**
   * Checks an uploaded workbook; only a directory that passes every check replaces the current one. The error says
   * what and where (工作表“单位通讯录”第 6 行“角色”列), with the uploaded file's name, not the temporary one's.
   */
  replace(upload: UploadedFile, at: number): { ok: true; dir: Directory; previous: Directory } | { ok: false; why: string } {
    const ext = extname(upload.filename).toLowerCase() || '.xlsx';
    if (!['.xlsx', '.yaml', '.yml', '.xls', '.et', '.xlsm', '.csv'].includes(ext)) return { ok: false, why: `「${upload.filename}」不是 Excel 通讯录：请上传按模板填写的 .xlsx 文件` };
    const tmpDir = join(this.file, '..', 'uploads');
    mkdirSync(tmpDir, { recursive: true });
    const tmp = join(tmpDir, `directory-${process.pid}-${at}${ext}`);
    writeFileSync(tmp, upload.bytes);
    let dir: Directory;
    try {
      dir = loadDirectory(tmp);
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

/** What changed between two directories, in words (units added and removed, clerks). */
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
