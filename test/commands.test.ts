/** The chat command grammar: what people type, with the variations they actually use. */
import { describe, expect, it } from 'vitest';
import { parseCommand } from '../bot/commands';

const ok = (text: string) => {
  const r = parseCommand(text);
  if (!r.ok) throw new Error(`refused ${text}: ${r.reason}`);
  return r.command;
};

describe('chat commands', () => {
  it('reads acknowledgements in their common forms, with full-width digits and spaces', () => {
    for (const t of ['收到 任务1', '确认 1', '收到1', '收到　１', '收到 第1项', '@督办助手 收到 1']) expect(ok(t)).toEqual({ kind: 'acknowledge', task: 1 });
  });

  it('reads completion with its note, progress with a bar, visits and extensions', () => {
    expect(ok('完成 1 已报送县局')).toEqual({ kind: 'complete', task: 1, note: '已报送县局' });
    expect(ok('办结 3')).toEqual({ kind: 'complete', task: 3, note: '（未附说明）' });
    expect(ok('进度 19 60%')).toEqual({ kind: 'progress', task: 19, percent: 60 });
    expect(ok('进度 19 60% 全省55%')).toEqual({ kind: 'progress', task: 19, percent: 60, bar: 55 });
    expect(ok('走访 12 +1')).toEqual({ kind: 'actions', task: 12, count: 1 });
    expect(ok('走访 12 第2项 +3')).toEqual({ kind: 'actions', task: 12, count: 3, item: 2 });
    expect(ok('延期 15 2022-07-15 等待编办批复')).toEqual({ kind: 'extension', task: 15, date: '2022-07-15', reason: '等待编办批复' });
    expect(ok('延期 15 2022年7月5日 等待批复')).toMatchObject({ date: '2022-07-05' });
  });

  it('reads supervisors’ decisions', () => {
    expect(ok('同意延期 15')).toEqual({ kind: 'decide', task: 15, approve: true });
    expect(ok('不同意延期 15 理由不充分')).toEqual({ kind: 'decide', task: 15, approve: false, reason: '理由不充分' });
    expect(ok('驳回 1 材料不全')).toEqual({ kind: 'reject', task: 1, reason: '材料不全' });
    expect(ok('我的任务')).toEqual({ kind: 'mine' });
    expect(ok('帮助')).toEqual({ kind: 'help' });
  });

  it('answers malformed commands with a short reason', () => {
    expect(parseCommand('收到')).toMatchObject({ ok: false, reason: expect.stringContaining('任务编号') });
    expect(parseCommand('延期 15 2022-02-30 理由')).toMatchObject({ ok: false, reason: expect.stringContaining('不存在') });
    expect(parseCommand('延期 15 2022-07-15')).toMatchObject({ ok: false, reason: expect.stringContaining('理由') });
    expect(parseCommand('驳回 1')).toMatchObject({ ok: false, reason: expect.stringContaining('理由') });
    expect(parseCommand('进度 19 百分之六十')).toMatchObject({ ok: false });
    expect(parseCommand('今天中午吃什么')).toMatchObject({ ok: false, reason: expect.stringContaining('帮助') });
    expect(parseCommand('收'.repeat(600))).toMatchObject({ ok: false, reason: expect.stringContaining('过长') });
  });
});
