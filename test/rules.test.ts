/** Who may do what to a duty: refusals that must hold whatever the chat grammar lets through. */
import { describe, expect, it } from 'vitest';
import { initialDutyState } from '../workflows/policy';
import { refuseComplete, refuseDecision } from '../workflows/rules';
import type { Actor } from '../workflows/messages';
import { dutyInput } from './duty-fixtures';

const coordinator: Actor = { person: '王晓明', unit: '县民政局', role: 'coordinator' };
const supervisor: Actor = { person: '李海燕', unit: '县乡村振兴局', role: 'supervisor' };
const start = Date.parse('2022-05-05T10:00:00+08:00');

describe('duty rules', () => {
  it('completes a quota or progress duty only by its counts and reports, never by 完成', () => {
    for (const kind of ['quota', 'progress'] as const) {
      const input = dutyInput(`t/${kind}`, '2022-06-30');
      const state = { ...initialDutyState(input, start), kind };
      expect(refuseComplete(state, { actor: coordinator, note: '已完成' })).toMatch(kind === 'quota' ? /次数要求/ : /本期进度/);
    }
    const dated = initialDutyState(dutyInput('t/deadline', '2022-06-30'), start);
    expect(refuseComplete(dated, { actor: coordinator, note: '已完成' })).toBeUndefined();
  });

  it('does not approve an extension to a date already past', () => {
    const state = { ...initialDutyState(dutyInput('t/ext', '2022-06-30'), start), pendingExtension: { date: '2022-07-15', reason: '等待批复', by: '王晓明', at: start } };
    expect(refuseDecision(state, { actor: supervisor, approve: true }, '2022-07-01')).toBeUndefined();
    expect(refuseDecision(state, { actor: supervisor, approve: true }, '2022-07-15')).toMatch(/已过/);
    // Refusing it stays possible.
    expect(refuseDecision(state, { actor: supervisor, approve: false }, '2022-07-20')).toBeUndefined();
  });
});
