/** Duty inputs for tests: the seed notice's calendar and offices, overridable per test. */
import { officialCalendar } from '../calendar/official';
import { DEFAULT_ACK_NAG_WORKING_DAYS, DEFAULT_ESCALATION, DEFAULT_GRACE_WORKING_DAYS, DEFAULT_REMINDER_OFFSETS, DEFAULT_REPEAT_WORKING_DAYS } from '../workflows/policy';
import type { DutyInput } from '../workflows/types';

export const calendar2022 = officialCalendar([2022, 2023]).calendar;

export function dutyInput(dutyId: string, deadline: string, over: Partial<DutyInput> = {}): DutyInput {
  return {
    duty: {
      dutyId,
      kind: 'deadline',
      taskNumber: 1,
      taskTitle: '完善防返贫动态监测帮扶机制',
      what: '5月底前完成全县年度集中排查',
      sentence: '严格执行年度防止返贫监测标准,对监测对象不设置规模限制,5月底前完成全县年度集中排查。',
      unit: '县民政局',
    },
    deadline,
    informUnits: ['县教科局'],
    offices: { supervisor: '县乡村振兴局', ruralWorkOffice: '县委农办', discipline: '县纪委监委' },
    calendar: calendar2022,
    reminderOffsets: DEFAULT_REMINDER_OFFSETS,
    escalation: DEFAULT_ESCALATION,
    repeatEveryWorkingDays: DEFAULT_REPEAT_WORKING_DAYS,
    graceWorkingDays: DEFAULT_GRACE_WORKING_DAYS,
    ackNagEveryWorkingDays: DEFAULT_ACK_NAG_WORKING_DAYS,
    ...over,
  };
}
