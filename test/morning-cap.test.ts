/**
 * One morning message stays small whatever it carries (issue #27): a supervising office addressed by 2,000
 * escalations on one morning gets one message that lists the first MORNING_LISTED_MAX duties and summarises the
 * rest, and its payload stays far under Temporal's 2 MB limit (listed in full, it passed it at about 1,100 items).
 */
import { describe, expect, it } from 'vitest';
import { groupItems, morningMessage, MORNING_LISTED_MAX } from '../workflows/morning';
import type { OutgoingMessage } from '../workflows/types';

const at = Date.parse('2022-06-16T09:00:00+08:00');
const LONG = '县乡村振兴局：经核查，该项任务已超过截止日期 1 个工作日仍未报办结。请于今日内报送办理情况及佐证材料，逾期将按规定启动下一级督办程序，并抄送县委农办、县纪委监委。'.repeat(3);

function escalation(n: number): OutgoingMessage {
  const unit = `单位${n % 500}`;
  return {
    key: `c/t${(n % 23) + 1}/d${n}/${unit}/escalation/1`,
    kind: 'escalation',
    dutyId: `c/t${(n % 23) + 1}/d${n}/${unit}`,
    taskNumber: (n % 23) + 1,
    unit,
    code: String((n % 23) + 1),
    toUnits: [unit, '县乡村振兴局'],
    recipients: [
      { unit, role: 'coordinators' },
      { unit, role: 'leaders' },
      { unit: '县乡村振兴局', role: 'coordinators' },
    ],
    level: n % 3 === 0 ? 'red' : 'yellow',
    at,
    deadline: '2022-06-15',
    subject: `【逾期督办】任务${(n % 23) + 1}`,
    text: LONG,
  };
}

describe('a morning message for a supervisor with 2,000 items', () => {
  const items = Array.from({ length: 2000 }, (_, n) => escalation(n));
  const group = groupItems(items).find((g) => g.unit === '县乡村振兴局')!;
  const msg = morningMessage('c', group);

  it('is one message that lists the first duties and says how many more, by level and task', () => {
    expect(group.items).toHaveLength(2000);
    expect(msg.text).toContain('（县乡村振兴局，2000 项）');
    expect(msg.text.match(/【逾期督办·/g)).toHaveLength(MORNING_LISTED_MAX);
    expect(msg.text).toContain(`另有 ${2000 - MORNING_LISTED_MAX} 项未逐条列出`);
    expect(msg.text).toMatch(/红色 \d+ 项、黄色 \d+ 项；涉及任务 1、2、3/);
    expect(msg.overflow).toEqual({ duties: 2000 - MORNING_LISTED_MAX, items: 2000 - MORNING_LISTED_MAX });
    expect(msg.items).toHaveLength(MORNING_LISTED_MAX);
  });

  it('stays far under the 2 MB payload limit', () => {
    const bytes = Buffer.byteLength(JSON.stringify(msg));
    expect(bytes).toBeLessThan(256 * 1024);
  });

  it('a unit with a few items gets every one listed, as before', () => {
    const small = morningMessage('c', groupItems(items.slice(0, 3)).find((g) => g.unit === '县乡村振兴局')!);
    expect(small.overflow).toBeUndefined();
    expect(small.items).toHaveLength(3);
    expect(small.text).not.toContain('另有');
  });
});
