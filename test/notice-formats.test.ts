/**
 * Notices as they arrive: a .docx whose tasks are Word's automatic list numbering (not in the text) and whose
 * sentences are split across runs gives the same plan as the text; a broken PDF, an image and an old .doc get
 * errors that say what to do. The .docx is built the way Word writes one (docx-fixture.ts).
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { htmlToNoticeText, readNoticeFile, tableLines } from '../notice/read';
import { parseNotice } from '../notice/parse';
import { docxOf, table } from './docx-fixture';
import { withoutPlace } from './notice-fixture';

const source = readFileSync(join(__dirname, 'fixtures', 'notices', 'relative-2024.txt'), 'utf8');
const dir = mkdtempSync(join(tmpdir(), 'duban-formats-'));
const write = (name: string, bytes: Buffer | string) => {
  const file = join(dir, name);
  writeFileSync(file, bytes);
  return file;
};
const withoutSource = withoutPlace;

describe('notice files', () => {
  it('reads a .docx with Word’s list numbering and runs split mid-sentence into the same plan as its text', async () => {
    const file = write('relative-2024.docx', await docxOf(source));
    const read = await readNoticeFile(file);
    expect(read.format).toBe('docx');
    expect(read.text).toContain('1.制定实施方案');
    const fromDocx = parseNotice(read.text, { file });
    const fromText = parseNotice(source, { file: 'relative-2024.txt' });
    expect(fromDocx.tasks).toHaveLength(7);
    expect(withoutSource(fromDocx)).toEqual(withoutSource(fromText));
  });

  it('reads a task table (任务分解表) row by row: leads, co-units, and the 完成时限 column as a deadline or a cadence', async () => {
    const rows = [
      ['序号', '重点任务', '具体内容', '牵头单位', '配合单位', '完成时限'],
      ['1', '推进厕所改造', '完成年度改厕任务', '县卫生健康局', '县农业农村局、县财政局', '6月底前'],
      ['2', '开展季度调度', '调度整治工作进展', '县农业农村局', '', '每季度末'],
      ['3', '报送工作月报', '报送整治工作进展', '县住建局', '', '每月'],
    ];
    const file = write('table-2024.docx', await docxOf('某某县2024年农村人居环境整治任务分解表\n\n任务分解表', table(rows)));
    const plan = parseNotice((await readNoticeFile(file)).text, { file });
    expect(plan.tasks.map((t) => [t.number, t.title, t.lead, t.coUnits])).toEqual([
      [1, '推进厕所改造', '县卫生健康局', ['县农业农村局', '县财政局']],
      [2, '开展季度调度', '县农业农村局', []],
      [3, '报送工作月报', '县住建局', []],
    ]);
    expect(plan.tasks[0]?.deadlines?.map((d) => d.date)).toEqual(['2024-06-30']);
    expect(plan.tasks[1]?.recurring?.map((r) => r.cadence)).toEqual(['quarterly']);
    expect(plan.tasks[2]?.recurring?.map((r) => r.cadence)).toEqual(['monthly']);
    // A 责任单位 column lists the lead first.
    expect(tableLines([['任务', '责任单位', '时间节点'], ['完成排查', '县民政局、县教科局', '5月底前']])).toEqual(['1.完成排查。完成时限：5月底前。（责任单位：县民政局、县教科局）']);
  });

  it('writes table rows as lines, cells side by side', () => {
    expect(htmlToNoticeText('<table><tr><td><p>序号</p></td><td><p>牵头单位</p></td></tr><tr><td><p>1</p></td><td><p>县民政局</p></td></tr></table>')).toBe('序号　牵头单位\n1　县民政局');
  });

  it('tells what to do with a broken PDF, an image, an old .doc and a broken .docx, naming the file', async () => {
    await expect(readNoticeFile(write('n.pdf', '%PDF-1.7\n…'))).rejects.toThrow(/n\.pdf: 不是可读取的 PDF 文件/);
    await expect(readNoticeFile(write('scan.png', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a])))).rejects.toThrow(/scan\.png: 这是一张图片，没有文字可读/);
    await expect(readNoticeFile(write('old.doc', Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1])))).rejects.toThrow(/old\.doc: 这是旧版 Word/);
    await expect(readNoticeFile(write('broken.docx', Buffer.from([0x50, 0x4b, 0x03, 0x04, 0, 0, 0])))).rejects.toThrow(/broken\.docx: 不是可读取的 \.docx 文件/);
  });

  it('still reads text in GB18030 as before', async () => {
    const gbk = await readNoticeFile(join(__dirname, 'fixtures', 'notices', 'county-c-2024.gbk.txt'));
    expect(gbk.format).toBe('text');
    expect(gbk.text).toBe(readFileSync(join(__dirname, 'fixtures', 'notices', 'county-c-2024.txt'), 'utf8'));
  });
});
