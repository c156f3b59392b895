/**
 * 「新建督办」 given what it must not take (issue #24): a spoiled data/directory.yaml, a zip bomb .docx, a workbook
 * with macros or formulas. Each gets a clear Chinese page saying what and what to do, and nothing stored changes
 * (plans, the directory, the audit log: every file of the data folder byte for byte). Against the real HTTP server
 * with a stand-in Temporal client: none of this reaches Temporal. (Not a notice, 30 MB, CSRF, cross-site and two
 * tabs are in new-campaign.test.ts, against a real deployment.)
 */
import { once } from 'node:events';
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32, createDeflateRaw, deflateRawSync } from 'node:zlib';
import type { Client } from '@temporalio/client';
import ExcelJS from 'exceljs';
import JSZip from 'jszip';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCampaign, SEED_DIRECTORY } from '../cli/campaign-input';
import { signClerkLink } from '../dashboard/clerks';
import { createDashboard } from '../dashboard/server';
import { loadDirectory } from '../plan/files';
import { directoryWorkbook } from '../plan/directory-workbook';
import { calendar2022 } from './duty-fixtures';
import { docxOf } from './docx-fixture';

const SECRET = 'test-secret-for-bad-input-0123456789abcdef';
const CLERK = '王文员（虚构）';
const NOTICE = readFileSync(join(__dirname, 'fixtures', 'notices', 'forms-joint-2024.txt'), 'utf8');

/** Not started, whatever is asked: this desk has no campaigns. */
const client = { workflow: { getHandle: () => ({ describe: async () => Promise.reject(new Error('not found')) }) } } as unknown as Client;

/** Every file under the data folder with its bytes: what "nothing stored changed" compares. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const f of readdirSync(d)) {
      const p = join(d, f);
      if (statSync(p).isDirectory()) walk(p);
      else out[p.slice(dir.length)] = readFileSync(p).toString('base64');
    }
  };
  walk(dir);
  return out;
}

interface Part {
  name: string;
  data: Buffer;
  /** Deflated already (with its crc and size), as a zip bomb's part is. */
  deflated?: { crc: number; size: number };
  /** The unpacked size the archive states (a bomb may lie). */
  statedSize?: number;
}

/** A zip written part by part, as Office writes one (deflate, UTF-8 names). */
function zipOf(parts: Part[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const p of parts) {
    const name = Buffer.from(p.name, 'utf8');
    const data = p.deflated ? p.data : deflateRawSync(p.data);
    const crc = p.deflated?.crc ?? crc32(p.data);
    const size = p.statedSize ?? p.deflated?.size ?? p.data.length;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x0800, 6);
    local.writeUInt16LE(8, 8);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(size, 22);
    local.writeUInt16LE(name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(8, 10);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(data.length, 20);
    central.writeUInt32LE(size, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, data);
    centrals.push(central, name);
    offset += local.length + name.length + data.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(parts.length, 8);
  end.writeUInt16LE(parts.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, end]);
}

/** `size` zero bytes deflated as one part, never holding more than a MB of them. */
async function deflatedZeros(size: number): Promise<{ data: Buffer; crc: number; size: number }> {
  const chunk = Buffer.alloc(1024 * 1024);
  const deflate = createDeflateRaw({ level: 9 });
  const out: Buffer[] = [];
  deflate.on('data', (b: Buffer) => out.push(b));
  let crc = 0;
  for (let left = size; left > 0; left -= chunk.length) {
    const part = left >= chunk.length ? chunk : chunk.subarray(0, left);
    crc = crc32(part, crc);
    if (!deflate.write(part)) await once(deflate, 'drain');
  }
  deflate.end();
  await once(deflate, 'end');
  return { data: Buffer.concat(out), crc, size };
}

/** A real .docx of the fixture notice with a 400 MB "picture" of zeros: about half a MB as a file. */
async function zipBombDocx(o: { lie: boolean }): Promise<Buffer> {
  const docx = await JSZip.loadAsync(await docxOf(NOTICE));
  const parts: Part[] = [];
  for (const [name, f] of Object.entries(docx.files)) if (!f.dir) parts.push({ name, data: await f.async('nodebuffer') });
  const zeros = await deflatedZeros(400 * 1024 * 1024);
  parts.push({ name: 'word/media/image1.png', data: zeros.data, deflated: { crc: zeros.crc, size: zeros.size }, ...(o.lie ? { statedSize: 1024 } : {}) });
  return zipOf(parts);
}

/** A task table as offices send one, optionally with a formula in a cell or a VBA project inside. */
async function taskTable(o: { formula?: boolean; macros?: boolean } = {}): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  const sheet = wb.addWorksheet('任务分解表');
  sheet.addRow(['某某县2029年重点工作任务分解表']);
  sheet.addRow(['序号', '重点任务', '具体内容', '牵头单位', '配合单位', '完成时限']);
  sheet.addRow([1, '推进农村厕所革命', '完成改厕任务', '县农业农村局', '各乡镇(街道)', '2029年6月30日']);
  sheet.addRow([2, '开展村庄清洁行动', '完成清洁行动', '县住建局', '', '2029年9月30日']);
  if (o.formula) sheet.getCell('F4').value = { formula: 'F3', result: '2029年6月30日' } as ExcelJS.CellFormulaValue;
  const bytes = Buffer.from(await wb.xlsx.writeBuffer());
  if (!o.macros) return bytes;
  const zip = await JSZip.loadAsync(bytes);
  zip.file('xl/vbaProject.bin', Buffer.from('VBA project (macros) stand-in'));
  return zip.generateAsync({ type: 'nodebuffer', compression: 'DEFLATE' });
}

describe('「新建督办」 refuses what it must not take, and changes nothing stored', () => {
  let url = '';
  let data = '';
  let close: () => Promise<void> = async () => undefined;
  const clerkCookie = () => `duban_clerk=${signClerkLink(SECRET, CLERK, Date.now())}`;

  beforeAll(async () => {
    data = mkdtempSync(join(tmpdir(), 'duban-bad-input-'));
    const base = join(data, 'units.yaml');
    writeFileSync(base, stringify({ ...loadDirectory(SEED_DIRECTORY), clerks: [{ name: CLERK, unit: '县政府督查室' }] }));
    // A directory uploaded earlier, and a plan under review: what must stay as it is.
    writeFileSync(join(data, 'directory.yaml'), readFileSync(base));
    const seed = loadCampaign({ year: 2029 });
    const server = createDashboard({
      client,
      campaignWorkflowId: 'duban/none',
      plan: seed.input.plan,
      calendar: calendar2022,
      desk: { target: { namespace: 'default', taskQueue: 'bad-input' }, dataDir: data, baseDirectory: base, secret: () => SECRET },
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    close = () => new Promise((r) => server.close(() => r()));
  });
  afterAll(async () => close());

  // Loopback without a token: the administrator.
  const get = (path: string, cookie = '') => fetch(`${url}${path}`, { headers: { cookie }, redirect: 'manual' });
  const post = (path: string, body: FormData) => fetch(`${url}${path}`, { method: 'POST', body, redirect: 'manual' });
  const csrf = async () => /name="csrf" value="([^"]+)"/.exec(await (await get('/new')).text())?.[1] ?? '';
  const notice = async (bytes: Buffer, name: string) => {
    const f = new FormData();
    f.set('csrf', await csrf());
    f.set('year', '2029');
    f.set('notice', new Blob([bytes]), name);
    return post('/new/upload', f);
  };
  const directory = async (bytes: Buffer, name: string) => {
    const f = new FormData();
    f.set('csrf', await csrf());
    f.set('file', new Blob([bytes]), name);
    return post('/new/directory', f);
  };

  it('refuses a zip bomb .docx before unpacking it, whether or not it states its size', async () => {
    const before = snapshot(data);
    for (const lie of [false, true]) {
      const bomb = await zipBombDocx({ lie });
      expect(bomb.length).toBeLessThan(2 * 1024 * 1024);
      const res = await notice(bomb, 'bomb.docx');
      expect(res.status).toBe(422);
      const html = await res.text();
      expect(html).toContain('「bomb.docx」未读取：文件解压后超过 100 MB');
      expect(html).toContain('另存为');
    }
    expect(snapshot(data)).toEqual(before);
  }, 60_000);

  it('refuses a task table with macros, or with a formula, naming the sheet and cell and how to fix it', async () => {
    const before = snapshot(data);
    // The same table without either is taken (so what is refused is the macros and the formula, nothing else).
    const macros = await notice(await taskTable({ macros: true }), '任务分解表.xlsm');
    expect(macros.status).toBe(422);
    expect(await macros.text()).toContain('「任务分解表.xlsm」未读取：文件含有宏（VBA），为安全起见不予读取');
    const formula = await notice(await taskTable({ formula: true }), '任务分解表.xlsx');
    expect(formula.status).toBe(422);
    const text = await formula.text();
    expect(text).toContain('工作表“任务分解表”的 F4 单元格是公式');
    expect(text).toContain('选择性粘贴 → 数值');
    // The directory upload refuses them too, with the directory left as it was.
    const book = directoryWorkbook(loadDirectory(join(data, 'directory.yaml')));
    book.getWorksheet('单位通讯录')!.getCell('E3').value = { formula: 'E2', result: 'x@example.org' } as ExcelJS.CellFormulaValue;
    const dir = await directory(Buffer.from(await book.xlsx.writeBuffer()), '通讯录.xlsx');
    expect(dir.status).toBe(422);
    const dirHtml = await dir.text();
    expect(dirHtml).toContain('工作表“单位通讯录”的 E3 单元格是公式');
    expect(dirHtml).toContain('原有通讯录未做任何改动');
    expect(snapshot(data)).toEqual(before);
    const plain = await notice(await taskTable(), '任务分解表.xlsx');
    expect(plain.status).toBe(303);
  }, 60_000);

  it('shows which directory file is spoiled, where and what to do, instead of a 502, and changes nothing', async () => {
    const file = join(data, 'directory.yaml');
    const good = readFileSync(file, 'utf8');
    // A hand edit gone wrong: a list opened and never closed.
    writeFileSync(file, 'units:\n  县民政局:\n    coordinators: [\n      name: 周志强（虚构）\n');
    const before = snapshot(data);
    for (const [path, cookie] of [
      ['/new', ''],
      ['/new', clerkCookie()],
      [`/new/plan?name=${encodeURIComponent('任务分解表')}`, ''],
    ] as const) {
      const res = await get(path, cookie);
      expect(res.status).toBe(503);
      const html = await res.text();
      expect(html).toContain('单位通讯录文件有误，「新建督办」暂停使用');
      expect(html).toContain(file);
      expect(html).toMatch(/id="directory-where">第 \d+ 行第 \d+ 列</);
      expect(html).toContain('YAML 格式错误');
      expect(html).toContain('怎么办');
      expect(html).toContain('已保存的计划、运行中的督办批次和操作记录都没有任何改动');
    }
    // A POST changes nothing either: no plan, no audit line, the spoiled file left for someone to read.
    const upload = await post('/new/upload', new FormData());
    expect(upload.status).toBe(503);
    expect(snapshot(data)).toEqual(before);
    // A file that is YAML but not a directory: the place of the wrong value.
    writeFileSync(file, good.replace(/^supervisors:\n(\s+- .*\n)+/m, 'supervisors: []\n'));
    const invalid = await (await get('/new')).text();
    expect(invalid).toMatch(/id="directory-where">第 \d+ 行 supervisors</);
    // Corrected: the desk is back.
    writeFileSync(file, good);
    expect((await get('/new')).status).toBe(200);
  });
});
