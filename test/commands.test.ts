/** The chat command grammar: what people type, with the variations they actually use. */
import { describe, expect, it } from 'vitest';
import { extensionDate, parseCommand, resolveDate } from '../bot/commands';

const ok = (text: string) => {
  const r = parseCommand(text);
  if (!r.ok) throw new Error(`refused ${text}: ${r.reason}`);
  return r.command;
};

describe('chat commands', () => {
  it('reads acknowledgements in their common forms, in either order, with full-width digits and spaces', () => {
    for (const t of ['收到 任务1', '确认 1', '收到1', '收到　１', '收到 第1项', '@督办助手 收到 1', '1 收到', '收到！任务１', '已收到，任务1马上落实', '１号任务收到']) {
      expect(ok(t), t).toEqual({ kind: 'acknowledge', task: 1, code: '1' });
    }
    expect(ok('收到 19B')).toEqual({ kind: 'acknowledge', task: 19, code: '19b' });
    expect(ok('收到')).toEqual({ kind: 'acknowledge' });
    expect(ok('全部收到')).toEqual({ kind: 'acknowledge', all: true });
  });

  it('reads completion with its note, progress with a bar, visits and extensions', () => {
    expect(ok('完成 1 已报送县局')).toEqual({ kind: 'complete', task: 1, code: '1', note: '已报送县局' });
    expect(ok('任务1已完成，排查台账已报县局')).toEqual({ kind: 'complete', task: 1, code: '1', note: '排查台账已报县局' });
    expect(ok('办结 3')).toEqual({ kind: 'complete', task: 3, code: '3', note: '（未附说明）' });
    expect(ok('进度 19 60%')).toEqual({ kind: 'progress', task: 19, code: '19', percent: 60 });
    expect(ok('19号任务进度60%')).toEqual({ kind: 'progress', task: 19, code: '19', percent: 60 });
    expect(ok('进度 19 60% 全省55%')).toEqual({ kind: 'progress', task: 19, code: '19', percent: 60, bar: 55 });
    expect(ok('走访 12 +1')).toEqual({ kind: 'actions', task: 12, code: '12', count: 1 });
    expect(ok('走访 12 第2项 +3')).toEqual({ kind: 'actions', task: 12, code: '12', count: 3, item: 2 });
    expect(ok('延期 15 2022-07-15 等待编办批复')).toEqual({ kind: 'extension', task: 15, code: '15', date: '2022-07-15', reason: '等待编办批复' });
    expect(ok('申请延期 任务15 至7月15日 原因：等待编办批复')).toEqual({ kind: 'extension', task: 15, code: '15', date: '07-15', reason: '等待编办批复' });
    for (const t of ['延期 15 7.15 理由是等待批复', '延期 15 7-15 等待批复', '延期 15 2022年7月15日 原因：等待批复']) {
      expect(ok(t), t).toMatchObject({ kind: 'extension', task: 15, reason: expect.stringContaining('等待批复') });
    }
    expect(resolveDate('07-15', 2022)).toBe('2022-07-15');
    expect(resolveDate('02-29', 2022)).toBeUndefined();
    // A December deadline moved to 15 January means next year's.
    expect(extensionDate('01-15', '2022-12-31')).toBe('2023-01-15');
    expect(extensionDate('07-15', '2022-06-30')).toBe('2022-07-15');
  });

  it('never takes a date, a percentage or a count for a task', () => {
    expect(ok('进度 60%')).toEqual({ kind: 'progress', percent: 60 });
    expect(ok('走访 +3')).toEqual({ kind: 'actions', count: 3 });
    expect(ok('申请延期至6月30日，原因：资金未到位')).toEqual({ kind: 'extension', date: '06-30', reason: '资金未到位' });
  });

  it('reads supervisors’ decisions', () => {
    expect(ok('同意延期 15')).toEqual({ kind: 'decide', task: 15, code: '15', approve: true });
    expect(ok('不同意延期 15 理由不充分')).toEqual({ kind: 'decide', task: 15, code: '15', approve: false, reason: '理由不充分' });
    expect(ok('驳回 1 材料不全')).toEqual({ kind: 'reject', task: 1, code: '1', reason: '材料不全' });
    expect(ok('我的任务')).toEqual({ kind: 'mine' });
    expect(ok('帮助')).toEqual({ kind: 'help' });
  });

  it('leaves chatter, questions and negations alone, and answers incomplete commands with the form to send', () => {
    for (const t of [
      '今天中午吃什么',
      '👍',
      '任务1完成了吗？',
      '还没收到通知',
      '任务1尚未完成',
      '任务3不能按时完成',
      '还没有全部完成',
      '完成不了',
      '好的，会按时完成',
      '请放心，5月底前完成',
      '不明白',
      'Outlook已发',
      '不同意见',
    ]) {
      expect(parseCommand(t), t).toMatchObject({ ok: false, ignore: true });
    }
    // Counts and codes-like words in a note name no task; a consent inside a report is not a decision.
    expect(ok('完成5份问卷')).toEqual({ kind: 'complete', note: '5份问卷' });
    expect(ok('经局领导同意，任务1已完成')).toMatchObject({ kind: 'complete', task: 1 });
    expect(ok('已完成80%')).toEqual({ kind: 'progress', percent: 80 });
    expect(parseCommand('收到1、2、3')).toMatchObject({ ok: false, reason: expect.stringContaining('只写一项') });
    expect(parseCommand('收到 1000')).toMatchObject({ ok: false, reason: expect.stringContaining('编号不对') });
    expect(parseCommand('延期 15 2022-02-30 理由')).toMatchObject({ ok: false, kind: 'extension', reason: expect.stringContaining('不存在') });
    expect(parseCommand('延期 15 2022-07-15')).toMatchObject({ ok: false, reason: expect.stringContaining('原因') });
    expect(parseCommand('驳回 1')).toMatchObject({ ok: false, reason: expect.stringContaining('理由') });
    expect(parseCommand('进度 19 百分之六十')).toMatchObject({ ok: false, kind: 'progress' });
    expect(parseCommand('收'.repeat(600))).toMatchObject({ ok: false, reason: expect.stringContaining('过长') });
  });
});
