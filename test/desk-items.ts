/** Items as a duty hands them to the desk, for tests that drive a desk directly (parcels, waves). */
import type { OutgoingMessage } from '../workflows/types';

/** Duty `i`'s reminder for unit 测试单位NNN (`units` of them, round robin), due at `at`. */
export function deskItem(i: number, at: number, units: number, prefix = 'parcels'): OutgoingMessage {
  const unit = `测试单位${String(i % units).padStart(3, '0')}`;
  return {
    key: `${prefix}/d${i}/reminder/2022-05-17`,
    kind: 'reminder',
    dutyId: `${prefix}/d${i}`,
    taskNumber: 1 + (i % 23),
    unit,
    toUnits: [unit],
    recipients: [{ unit, role: 'coordinators' }],
    level: 'yellow',
    at,
    deadline: '2022-05-20',
    subject: `【督办提醒】任务${1 + (i % 23)}：巩固拓展脱贫攻坚成果同乡村振兴有效衔接`,
    text: `${unit}：任务“完善防返贫动态监测帮扶机制，5月底前完成全县年度集中排查”还有 3 个工作日截止（2022-05-20）。请按时办理，完成后回复“完成 ${i}”。`,
  };
}
