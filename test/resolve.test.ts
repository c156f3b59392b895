/** Which duty a reply acts on, from known states: the rules the bot and `duban reply` share. */
import { describe, expect, it } from 'vitest';
import { parseCommand } from '../bot/commands';
import { resolveReply, type DutyView } from '../bot/resolve';
import type { Actor } from '../workflows/messages';

const view = (unit: string, code: string, over: Partial<DutyView> = {}): DutyView => ({
  dutyId: `c/${unit}/${code}`,
  task: Number(code.replace(/[a-z]+$/, '')),
  kind: 'deadline',
  code,
  unit,
  deadline: '2022-06-30',
  status: 'acknowledged',
  ended: false,
  ...over,
});
const supervisor: Actor = { person: '李海燕', unit: '县乡村振兴局', role: 'supervisor' };
const coordinator = (unit: string): Actor => ({ person: '王晓明', unit, role: 'coordinator' });

describe('resolving replies', () => {
  const duties = [
    view('县委组织部', '15', { pendingExtension: true }),
    view('县民政局', '15', { pendingExtension: true }),
    view('县民政局', '4', { status: 'completed' }),
    view('县财政局', '4', { status: 'completed' }),
  ];

  it('asks a supervisor which unit when two wait, and acts on the unit the reply names', () => {
    const text = '同意延期 15';
    const asked = resolveReply(parseCommand(text), { actor: supervisor, duties, today: '2022-06-01', inGroup: true, text });
    expect(asked.intent).toBe('ask');
    expect(asked.answer).toContain('县委组织部');
    expect(asked.answer).toContain('县民政局');
    const named = '同意延期 15 县民政局';
    const acted = resolveReply(parseCommand(named), { actor: supervisor, duties, today: '2022-06-01', inGroup: true, text: named });
    expect(acted).toMatchObject({ intent: 'approve-extension', duties: [{ unit: '县民政局', code: '15' }] });
    const reject = '驳回 4 县财政局 材料不全';
    expect(resolveReply(parseCommand(reject), { actor: supervisor, duties, today: '2022-06-01', inGroup: true, text: reject }).duties.map((d) => d.unit)).toEqual(['县财政局']);
  });

  it('puts progress on the report of the current period, quarterly ones included, and asks when none is current', () => {
    const progress = [
      view('县乡村振兴局', '19a', { kind: 'progress', period: '2022-Q2', deadline: '2022-06-30', status: 'open' }),
      view('县乡村振兴局', '19b', { kind: 'progress', period: '2022-Q3', deadline: '2022-09-30', status: 'open' }),
    ];
    const ctx = { actor: coordinator('县乡村振兴局'), duties: progress, inGroup: true };
    expect(resolveReply(parseCommand('进度 19 60%'), { ...ctx, today: '2022-08-10' }).duties.map((d) => d.code)).toEqual(['19b']);
    // January of the next year: no current period, two still open → a question, never a guess.
    expect(resolveReply(parseCommand('进度 19 60%'), { ...ctx, today: '2023-01-05' })).toMatchObject({ intent: 'ask' });
  });

  it('reads a lettered word that is no duty’s code as plain text', () => {
    const ctx = { actor: coordinator('县文旅局'), duties: [view('县文旅局', '7', { status: 'open' })], today: '2022-06-01', inGroup: true };
    expect(resolveReply(parseCommand('已完成4A级景区创建'), ctx).duties.map((d) => d.code)).toEqual(['7']);
  });

  it('acknowledges every unacknowledged duty on 全部收到, and only the last message’s on a bare 收到', () => {
    const own = [view('县委组织部', '12a', { status: 'open' }), view('县委组织部', '12b', { status: 'open' }), view('县委组织部', '15', { status: 'open' })];
    const ctx = { actor: coordinator('县委组织部'), duties: own, today: '2022-06-01', inGroup: true, lastMessage: ['c/县委组织部/15'] };
    expect(resolveReply(parseCommand('收到'), ctx).duties.map((d) => d.code)).toEqual(['15']);
    expect(resolveReply(parseCommand('全部收到'), ctx).duties.map((d) => d.code)).toEqual(['12a', '12b', '15']);
    expect(resolveReply(parseCommand('收到'), { ...ctx, lastMessage: [] })).toMatchObject({ intent: 'ask' });
  });
});
