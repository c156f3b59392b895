/**
 * The duty's timeline names the channel each reply came by and shows a reply taken back (issue #25): a supervisor
 * reading it sees 「完成（钉钉）」 and 「撤回回复」, not a completion that seems to stand.
 */
import { describe, expect, it } from 'vitest';
import { dutyPage } from '../dashboard/pages';
import { initialDutyState } from '../workflows/policy';
import { dutyInput } from './duty-fixtures';

describe('the duty page’s timeline', () => {
  it('names 企业微信, 钉钉 and 邮件回复, and shows an undo', () => {
    const input = dutyInput('c/t4/d1/县以工代赈中心', '2022-04-30');
    const at = Date.parse('2022-04-29T10:00:00+08:00');
    const state = initialDutyState(input, at);
    state.history.push(
      { at: at + 60_000, event: 'acknowledged', by: '李明', via: 'wecom' },
      { at: at + 120_000, event: 'completed', by: '李明', detail: '清单已报', via: 'dingtalk' },
      { at: at + 180_000, event: 'undone', by: '李明', detail: '撤回办结', via: 'email' },
    );
    const html = dutyPage(state, '任务4');
    expect(html).toContain('李明（企业微信）');
    expect(html).toContain('李明（钉钉）');
    expect(html).toContain('李明（邮件回复）');
    expect(html).toContain('撤回回复');
  });
});
