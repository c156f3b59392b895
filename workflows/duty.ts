/** One accountable (duty, unit): reminds before the deadline, takes replies, escalates after it. */
import { condition, proxyActivities, setHandler } from '@temporalio/workflow';
import type { createActivities } from '../activities';
import { formatShanghai, shanghaiDate } from '../calendar/working-days';
import { acknowledgeUpdate, completeUpdate, statusQuery, type Actor } from './messages';
import { escalationAt, reminderPlan } from './policy';
import type { DutyInput, DutyState, Level, OutgoingMessage } from './types';

const { notify } = proxyActivities<ReturnType<typeof createActivities>>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '10 seconds', backoffCoefficient: 2, maximumInterval: '30 minutes', nonRetryableErrorTypes: ['PermanentDeliveryError'] },
});

export async function dutyWorkflow(input: DutyInput): Promise<DutyState> {
  // Workflow time (deterministic, advanced by the server, skipped by the test server), shifted only when
  // the simulator replays a past year on a server whose clock is today.
  const now = () => Date.now() + (input.clockOffsetMs ?? 0);
  const { duty, calendar } = input;
  const state: DutyState = {
    dutyId: duty.dutyId,
    unit: duty.unit,
    taskNumber: duty.taskNumber,
    deadline: input.deadline,
    status: 'open',
    level: 'none',
    remindersSent: 0,
    escalationsSent: 0,
    history: [{ at: now(), event: 'started' }],
  };

  const mayActForUnit = (actor: Actor) =>
    actor.unit === duty.unit && (actor.role === 'coordinator' || actor.role === 'leader');

  setHandler(statusQuery, () => state);
  setHandler(
    acknowledgeUpdate,
    ({ actor }) => {
      if (state.status === 'open') {
        state.status = 'acknowledged';
        state.acknowledgedBy = actor.person;
        state.acknowledgedAt = now();
      }
      state.history.push({ at: now(), event: 'acknowledged', by: actor.person });
      return state;
    },
    {
      validator: ({ actor }) => {
        if (!mayActForUnit(actor)) throw new Error(`${actor.person} 不是 ${duty.unit} 的联络员或分管领导，不能确认此任务`);
        if (state.status === 'completed') throw new Error('该任务已办结，无需再确认');
      },
    },
  );
  setHandler(
    completeUpdate,
    ({ actor, note }) => {
      state.status = 'completed';
      state.completedAt = now();
      state.completionNote = note;
      state.level = 'green';
      state.history.push({ at: now(), event: 'completed', by: actor.person, detail: note });
      return state;
    },
    {
      validator: ({ actor }) => {
        if (!mayActForUnit(actor)) throw new Error(`${actor.person} 不是 ${duty.unit} 的联络员或分管领导，不能报办结`);
        if (state.status === 'completed') throw new Error('该任务已办结');
      },
    },
  );

  const send = async (kind: OutgoingMessage['kind'], keySuffix: string, level: Level, toUnits: string[], text: string) => {
    const msg: OutgoingMessage = {
      // Stable across retries and continue-as-new: the ledger delivers each key once.
      key: `${duty.dutyId}/${keySuffix}`,
      kind,
      dutyId: duty.dutyId,
      taskNumber: duty.taskNumber,
      unit: duty.unit,
      toUnits,
      level,
      at: now(),
      subject: `【督办】[任务${duty.taskNumber}] ${duty.taskTitle} · ${input.deadline}截止`,
      text,
    };
    await notify(msg);
    state.history.push({ at: now(), event: kind, detail: `${toUnits.join('、')} · ${formatShanghai(msg.at)}` });
  };

  const done = () => state.status === 'completed';

  for (const reminder of reminderPlan(calendar, input.deadline, input.reminderOffsets)) {
    if (reminder.at < now()) continue;
    if (await condition(done, reminder.at - now())) return state;
    state.level = 'blue';
    await send(
      'reminder',
      `reminder/${reminder.date}`,
      'blue',
      [duty.unit],
      `${duty.unit}：任务${duty.taskNumber}「${duty.taskTitle}」将于 ${input.deadline} 截止` +
        `（还有 ${reminder.offset} 个工作日）。\n原文：${duty.sentence}\n回复「收到 ${duty.taskNumber}」确认，办结后回复「完成 ${duty.taskNumber} 说明」。`,
    );
    state.remindersSent++;
  }

  for (let n = 0; ; n++) {
    const esc = escalationAt(calendar, input.deadline, input.escalation, input.repeatEveryWorkingDays, n);
    if (esc.at >= now() && (await condition(done, esc.at - now()))) return state;
    if (done()) return state;
    state.level = 'red';
    await send(
      'escalation',
      `escalation/${esc.date}`,
      'red',
      [duty.unit],
      `任务${duty.taskNumber}「${duty.taskTitle}」已于 ${input.deadline} 逾期，截至 ${shanghaiDate(now())} 仍未办结。`,
    );
    state.escalationsSent++;
  }
}
