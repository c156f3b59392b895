/**
 * Campaign expansion: a plan and a directory's groups and offices → one duty per accountable
 * (duty, unit), with deterministic ids. Pure: the campaign workflow runs it, tests check it alone.
 */
import {
  dayNumber,
  endOfMonth,
  shiftWorkingDays,
  workingDayOnOrBefore,
  type WorkCalendar,
} from '../calendar/working-days';
import type { ValidPlan } from '../plan/schema';
import {
  DEFAULT_ACK_NAG_WORKING_DAYS,
  DEFAULT_ESCALATION,
  DEFAULT_GRACE_WORKING_DAYS,
  DEFAULT_REMINDER_OFFSETS,
  DEFAULT_REPEAT_WORKING_DAYS,
  IMPLIED_ESCALATION,
  PART_ESCALATION,
  PART_REMINDER_OFFSETS,
  DEFAULT_PART_WORKING_DAYS_BEFORE,
  PART_CLOSE_WORKING_DAYS_AFTER_LEAD,
} from './policy';
import { assignCodes } from './codes';
import type { DeliveryTimings, DutyInput, EscalationStep, LedgerEntry, Offices, OutgoingMessage } from './types';
import type { PackedLedger } from './ledger-pack';

/**
 * A monthly report is reminded three working days before and on its day, once the campaign sends morning
 * messages: five reminders a month (ten working days ahead is half the month) are what made units mute
 * the bot. Quarterly and longer periods keep the default.
 */
export const MONTHLY_REMINDER_OFFSETS = [3, 0];

export interface CampaignOptions {
  reminderOffsets?: number[];
  escalation?: EscalationStep[];
  repeatEveryWorkingDays?: number;
  graceWorkingDays?: number;
  ackNagEveryWorkingDays?: number;
  /** The campaign closes on this date; default 31 March of the next year. */
  closeAt?: string;
  /** Default bar (percent) for progress duties when a report names none. */
  progressBar?: number;
  /** The WeChat bot's task queue, when a bot is configured. */
  wechatTaskQueue?: string;
  /** How long WeChat and email are tried before the next channel or an alert (defaults in workflows/deliver.ts). */
  delivery?: DeliveryTimings;
  /** Weekly and red-alert digests to supervisors (default on). */
  digests?: boolean;
  /** Seconds the campaign waits after an instant before sending its morning messages (default 120). */
  morningSettleSeconds?: number;
  /**
   * Duties carry search attributes (workflows/search-attributes.ts). Set only by a starter that has made sure the
   * server knows them: a server that does not refuses every workflow task that sets them.
   */
  searchAttributes?: boolean;
  /**
   * History events before the campaign (default 8,000) and each duty (default 4,000) continue as new. Lowered
   * only to record replay histories that cover continue-as-new (`npm run record`).
   */
  continueAsNewAfterEvents?: number;
  dutyContinueAsNewAfterEvents?: number;
  /**
   * The task queue the campaign starts its duties on, when the campaign itself runs on a queue of its own
   * (worker/index.ts campaignQueueOf): thousands of duties waking at once then cannot push the campaign out of
   * the worker's cache, which would make it replay its whole history on every signal. Omitted = the campaign's.
   */
  dutyTaskQueue?: string;
  /**
   * The deployment's morning desk (workflows/desk.ts): its workflow id. The campaign starts it when it is not
   * running, and its duties hand their morning items to it, so a unit with duties in several campaigns gets one
   * message per instant; the campaign's digests go through it too. Omitted = the campaign sends its own.
   */
  morningDesk?: string;
  /**
   * The desk runs in this many shards (workflows/desk-shards.ts), set per deployment (DUBAN_DESK_SHARDS). Omitted
   * or 1: one desk workflow.
   */
  deskShards?: number;
  /**
   * Prefix of every reply code of this campaign (a lower-case letter, e.g. 'b' → b5, b19a), so that codes stay
   * unique for a unit with duties in several campaigns. Omitted = none (the deployment's first campaign).
   */
  codePrefix?: string;
}

export interface CampaignInput {
  /** Stable name of the campaign, e.g. dazhu-2022-28/2022; prefixes every duty id. */
  campaignId: string;
  plan: ValidPlan;
  /** Group names (各乡镇(街道)) and their member units. */
  groups: Record<string, string[]>;
  /** Supervising offices in escalation order (县乡村振兴局, 县委农办). */
  supervisors: string[];
  ruralWorkOffice: string;
  disciplineOffice: string;
  calendar: WorkCalendar;
  options?: CampaignOptions;
  clockOffsetMs?: number;
  /** The campaign's start instant (simulation: the plan's nominal start); omitted = when it first runs. */
  startAt?: number;
  /** Carried over by continue-as-new. */
  carried?: {
    startedAt: number;
    started: number;
    ledger: LedgerEntry[];
    /** The ledger packed against the expansion (runs with the packed-ledger patch); `ledger` is then empty. */
    ledgerPacked?: PackedLedger;
    /** Carried by 0.1.0's digest loop (campaigns started before the digest-slots patch). */
    redDigestDay?: string;
    /** A duty turned red and no red digest was planned yet. */
    redPending?: boolean;
    redDueAt?: number;
    weeklyAt?: number;
    /** The campaign sends morning messages (it took the morning-messages patch). */
    morning?: boolean;
    morningPending?: OutgoingMessage[];
    morningSent?: string[];
    /** When each pending instant's latest item arrived (campaigns with the morning-waves patch). */
    morningArrivals?: [number, number][];
    /** A calendar was loaded and not yet passed on to the running duties (and the desk). */
    calendarPending?: boolean;
    /** `duban desk ensure` asked for the duties to hand their items again, not yet passed on. */
    rehandPending?: boolean;
    /**
     * The campaign expands as 0.6.0 did: a lead+co task's co-units hold a part of every deadline, a presumed year end
     * or a date past at the start included (campaign-features.ts, partsAtEveryDate). Written only when set.
     */
    partsAtEveryDate?: boolean;
  };
}

function expand(groups: Record<string, string[]>, names: string[]): string[] {
  const out: string[] = [];
  for (const name of names) for (const n of groups[name] ?? [name]) if (!out.includes(n)) out.push(n);
  return out;
}

export function officesFor(
  input: Pick<CampaignInput, 'supervisors' | 'ruralWorkOffice' | 'disciplineOffice'>,
  unit: string,
): Offices {
  const [first = input.ruralWorkOffice, second = input.ruralWorkOffice] = input.supervisors;
  // 县乡村振兴局 cannot supervise itself: when it is late, 县委农办 does.
  return {
    supervisor: unit === first ? second : first,
    ruralWorkOffice: input.ruralWorkOffice,
    discipline: input.disciplineOffice,
  };
}

interface Period {
  id: string;
  due: string;
}

/** Where in its period an instance falls due (the plan's `dueDay` and `forPreviousPeriod`). */
export interface DueRule {
  /** Day of the month the instance is due (for quarterly and longer: of the month it falls in); omitted = the period's end. */
  dueDay?: number;
  /** Each instance reports on the period before it: due in the month after the period ends (「每月10日前报送上月」). */
  forPreviousPeriod?: boolean;
}

/** Day `day` of a month, or its last day when the month is shorter (31 → 30 April, 28/29 February). */
function dayOfMonth(year: number, month: number, day: number): string {
  const y = year + Math.floor((month - 1) / 12);
  const m = ((month - 1) % 12) + 1;
  const last = endOfMonth(y, m);
  return day >= Number(last.slice(8)) ? last : `${y}-${String(m).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

/**
 * Periods of a cadence in the plan year whose due date is on or after `from`. Without a rule each is due at its
 * end (unchanged since 0.1.0: running campaigns expand the same); with one, on its day — of the period's last
 * month, or of the month after it when each instance reports on the period before.
 */
export function periodsOf(
  cadence: 'monthly' | 'quarterly' | 'half-yearly' | 'yearly',
  year: number,
  from: string,
  rule: DueRule = {},
): Period[] {
  // Each period as its id and its last month (1-12).
  const spans: { id: string; lastMonth: number }[] =
    cadence === 'monthly'
      ? Array.from({ length: 12 }, (_, i) => ({ id: `${year}-${String(i + 1).padStart(2, '0')}`, lastMonth: i + 1 }))
      : cadence === 'quarterly'
        ? [1, 2, 3, 4].map((q) => ({ id: `${year}-Q${q}`, lastMonth: q * 3 }))
        : cadence === 'half-yearly'
          ? [
              { id: `${year}-H1`, lastMonth: 6 },
              { id: `${year}-H2`, lastMonth: 12 },
            ]
          : [{ id: `${year}`, lastMonth: 12 }];
  const all = spans.map(({ id, lastMonth }) => {
    if (rule.dueDay === undefined && !rule.forPreviousPeriod) return { id, due: endOfMonth(year, lastMonth) };
    const month = rule.forPreviousPeriod ? lastMonth + 1 : lastMonth;
    return {
      id,
      due:
        rule.dueDay === undefined
          ? endOfMonth(year + Math.floor((month - 1) / 12), ((month - 1) % 12) + 1)
          : dayOfMonth(year, month, rule.dueDay),
    };
  });
  return all.filter((p) => dayNumber(p.due) >= dayNumber(from));
}

const PROGRESS_RE = /进度/;

type PlanDeadline = ValidPlan['tasks'][number]['deadlines'][number];

/**
 * 0.7.0's rule for co-units' parts: only a date the notice set and still ahead at the start. A presumed year end or a
 * date already past (the lead is asked for its status) leaves the co-units informed, not holding a part closed at once.
 */
function partOfDateAtStart(d: PlanDeadline, startDate: string): boolean {
  return !d.implied && dayNumber(d.date) >= dayNumber(startDate);
}

/**
 * The deadlines whose co-units' parts 0.6.0 expanded and 0.7.0 leaves out, each as the middle of its parts' ids
 * (`t1/d2-part`: `<campaign>/t1/d2-part/<unit>`). Empty when both releases expand the plan alike.
 */
export function partsLeftOut(plan: ValidPlan, startDate: string): string[] {
  return plan.tasks.flatMap((task) =>
    task.accountable === 'lead+co'
      ? task.deadlines.flatMap((d, i) => (partOfDateAtStart(d, startDate) ? [] : [`t${task.number}/d${i + 1}-part`]))
      : [],
  );
}

/** Every duty of the campaign, in a stable order. `startDate` is the campaign's first day (Shanghai). */
export function expandCampaign(
  input: CampaignInput,
  startDate: string,
  // partsAtEveryDate: 0.6.0's parts, for campaigns that started their duties from that expansion (partsLeftOut).
  opts: { morning?: boolean; partsAtEveryDate?: boolean } = {},
): DutyInput[] {
  const o = input.options ?? {};
  const year = input.plan.year;
  const common = {
    calendar: input.calendar,
    reminderOffsets: o.reminderOffsets ?? DEFAULT_REMINDER_OFFSETS,
    escalation: o.escalation ?? DEFAULT_ESCALATION,
    repeatEveryWorkingDays: o.repeatEveryWorkingDays ?? DEFAULT_REPEAT_WORKING_DAYS,
    graceWorkingDays: o.graceWorkingDays ?? DEFAULT_GRACE_WORKING_DAYS,
    ackNagEveryWorkingDays: o.ackNagEveryWorkingDays ?? DEFAULT_ACK_NAG_WORKING_DAYS,
    closeAt: o.closeAt ?? `${year + 1}-03-31`,
    ...(o.wechatTaskQueue ? { wechatTaskQueue: o.wechatTaskQueue } : {}),
    ...(o.delivery ? { delivery: o.delivery } : {}),
    ...(o.searchAttributes ? { searchAttributes: { campaign: input.campaignId } } : {}),
    ...(input.clockOffsetMs ? { clockOffsetMs: input.clockOffsetMs } : {}),
    ...(o.dutyContinueAsNewAfterEvents ? { continueAsNewAfterEvents: o.dutyContinueAsNewAfterEvents } : {}),
  };
  const duties: DutyInput[] = [];
  for (const task of input.plan.tasks) {
    // Joint leads each hold the duty. Plans before 0.8.0 have no `leads`, so their runs expand as they did.
    const leads = task.leads?.length ? task.leads : [task.lead];
    const listed = expand(input.groups, [...leads, ...task.coUnits.filter((u) => !leads.includes(u))]);
    const accountable = task.accountable === 'all' ? listed : expand(input.groups, leads);
    // lead+co: co-units have parts of the deadlines (below), so they are not copied on the lead's deadline messages
    // as well; they stay copied on its cadences and quotas, which have no parts.
    const parts = task.accountable === 'lead+co' ? listed.filter((u) => !accountable.includes(u)) : [];
    const inform = listed.filter((u) => !accountable.includes(u));
    const withParts = (d: PlanDeadline) =>
      parts.length > 0 && (opts.partsAtEveryDate === true || partOfDateAtStart(d, startDate));
    const ref = (
      unit: string,
      kind: DutyInput['duty']['kind'],
      id: string,
      what: string,
      sentence: string,
      period?: string,
    ) => ({
      dutyId: `${input.campaignId}/t${task.number}/${id}/${unit}`,
      kind,
      taskNumber: task.number,
      taskTitle: task.title,
      what,
      sentence,
      unit,
      ...(period ? { period } : {}),
    });
    for (const unit of accountable) {
      const base = { ...common, informUnits: inform, offices: officesFor(input, unit) };
      task.deadlines.forEach((d, i) => {
        duties.push({
          ...base,
          informUnits: withParts(d) ? inform.filter((u) => !parts.includes(u)) : inform,
          // Only an implied deadline's duty carries the mark: every other duty's input stays as before.
          duty: {
            ...ref(unit, 'deadline', `d${i + 1}`, d.clause ?? d.text, d.text),
            ...(d.implied ? { implied: true as const } : {}),
          },
          deadline: d.date,
          ...(d.reminderOffsets ? { reminderOffsets: d.reminderOffsets } : {}),
          ...(d.implied ? { escalation: IMPLIED_ESCALATION } : {}),
        });
      });
      // Each co-unit's part of each deadline, due before the lead's: reported to the lead unit, which is its
      // supervising office for it (escalation copies, extension decisions, sending a part back).
      for (const partUnit of unit === accountable[0] ? parts : []) {
        task.deadlines.forEach((d, i) => {
          if (!withParts(d)) return;
          const leadDay = workingDayOnOrBefore(input.calendar, d.date);
          const partClose = shiftWorkingDays(input.calendar, leadDay, PART_CLOSE_WORKING_DAYS_AFTER_LEAD);
          duties.push({
            ...common,
            informUnits: [],
            offices: { ...officesFor(input, partUnit), supervisor: unit },
            duty: {
              ...ref(
                partUnit,
                'deadline',
                `d${i + 1}-part`,
                `${d.clause ?? d.text}（本单位承担部分，报${unit}）`,
                d.text,
              ),
              partOf: { lead: unit, leadDeadline: d.date },
            },
            deadline: shiftWorkingDays(
              input.calendar,
              leadDay,
              -(task.partWorkingDaysBefore ?? DEFAULT_PART_WORKING_DAYS_BEFORE),
            ),
            reminderOffsets: PART_REMINDER_OFFSETS,
            escalation: PART_ESCALATION,
            // Never after the campaign's own end.
            closeAt: partClose < common.closeAt ? partClose : common.closeAt,
          });
        });
      }
      task.recurring.forEach((r, i) => {
        const progress = PROGRESS_RE.test(r.clause ?? r.text);
        // 「自3月起」: nothing due before that month. Plans before 0.8.0 have no fromMonth and expand as they did.
        const from =
          r.fromMonth !== undefined && dayOfMonth(year, r.fromMonth, 1) > startDate
            ? dayOfMonth(year, r.fromMonth, 1)
            : startDate;
        for (const p of periodsOf(r.cadence, year, from, {
          ...(r.dueDay !== undefined ? { dueDay: r.dueDay } : {}),
          ...(r.forPreviousPeriod ? { forPreviousPeriod: true } : {}),
        })) {
          duties.push({
            ...base,
            duty: ref(unit, progress ? 'progress' : 'recurring', `r${i + 1}/${p.id}`, r.clause ?? r.text, r.text, p.id),
            deadline: p.due,
            ...(opts.morning && r.cadence === 'monthly' && !o.reminderOffsets
              ? { reminderOffsets: MONTHLY_REMINDER_OFFSETS }
              : {}),
            ...(progress
              ? { progress: { bar: task.targets.find((t) => t.bar !== undefined)?.bar ?? o.progressBar ?? 0 } }
              : {}),
          });
        }
      });
      if (task.quotas.length) {
        const latest =
          task.deadlines
            .map((d) => d.date)
            .sort()
            .at(-1) ?? `${year}-12-31`;
        duties.push({
          ...base,
          duty: ref(
            unit,
            'quota',
            'q',
            task.quotas.map((q) => q.clause ?? q.text).join('；'),
            task.quotas[0]?.text ?? '',
          ),
          deadline: latest,
          quota: {
            items: task.quotas.map((q) => ({ min: q.min, clause: q.clause ?? q.text })),
            checkpoints: [`${year}-06-30`, `${year}-09-30`],
          },
        });
      }
    }
  }
  // Reply codes from the whole campaign, fixed for the duties' lives.
  const codes = assignCodes(
    duties.map((d) => ({
      dutyId: d.duty.dutyId,
      unit: d.duty.unit,
      taskNumber: d.duty.taskNumber,
      deadline: d.deadline,
      kind: d.duty.kind,
    })),
  );
  const prefix = input.options?.codePrefix ?? '';
  for (const d of duties) d.duty.code = prefix + (codes.get(d.duty.dutyId) ?? String(d.duty.taskNumber));
  return duties;
}
