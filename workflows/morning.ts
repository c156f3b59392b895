/**
 * The morning message: everything due to one unit at one send instant, as one message. Duties hand their
 * scheduled messages to their campaign as items; the campaign groups them per (instant, unit) and sends one
 * message per group. Pure: the campaign workflow, the simulator, the report and the tests use it.
 */
import { formatShanghai } from '../calendar/working-days';
import type { Digest } from './digest';
import type { DutyStatus, Level, MessageKind, OutgoingMessage, Recipient } from './types';

/**
 * How long the campaign waits after an instant before sending its morning messages: duties woken at 09:00
 * hand over their items within seconds; two minutes leave room for a busy worker. The message keeps the
 * instant it is for.
 */
export const SETTLE_MS = 2 * 60_000;

/** Kinds a duty hands to its campaign for the morning message; everything else goes at once, alone. */
export const MORNING_KINDS: readonly MessageKind[] = ['ack-request', 'reminder', 'status-check', 'escalation', 'overdue-reminder', 'quota-warning'];

const KIND_WORD: Partial<Record<MessageKind, string>> = {
  'ack-request': '请确认',
  reminder: '催办提醒',
  'status-check': '情况核实',
  escalation: '逾期督办',
  'overdue-reminder': '逾期催办',
  'quota-warning': '进度预警',
};
const LEVEL_WORD: Record<Level, string> = { none: '常规', blue: '蓝色', yellow: '黄色', red: '红色', green: '绿色' };
const SEVERITY: Record<Level, number> = { none: 0, green: 1, blue: 2, yellow: 3, red: 4 };

/** The per-duty messages a message stands for: its items when it is a morning message, else itself. */
export function itemsOf(msg: OutgoingMessage): OutgoingMessage[] {
  return msg.items ?? [msg];
}

/**
 * Settling by arrivals (campaigns with the morning-waves patch, unless a fixed settling time is configured): an
 * instant's items go once none has arrived for SETTLE_QUIET_MS, no sooner than SETTLE_MIN_MS after the instant and
 * no later than SETTLE_MAX_MS. A worker that hands every item over within seconds gets its messages out in well
 * under a minute; a busy one, still handing items over minutes later (ten thousand duties due at once on a small
 * machine), is waited for, so each unit still gets one message rather than a second for what came late.
 */
export const SETTLE_MIN_MS = 20_000;
export const SETTLE_QUIET_MS = 10_000;
export const SETTLE_MAX_MS = 10 * 60_000;

/** `lastArrival`: when the latest item for each instant arrived (workflow time). */
export function settledAt(instant: number, lastArrival: number | undefined): number {
  return Math.min(instant + SETTLE_MAX_MS, Math.max(instant + SETTLE_MIN_MS, (lastArrival ?? instant) + SETTLE_QUIET_MS));
}

/** Units' messages sent at once when more than this many units are due at one instant (a storm). */
export const MORNING_WAVE = 50;

/**
 * Sends an instant's groups: more than MORNING_WAVE (a storm, when `waves`) a wave at a time, each wave's messages
 * at once; otherwise one after another in the groups' order, so the order units hear in is the same on every run
 * (and a simulated reply to one unit's message lands before the next unit's message goes).
 */
export async function sendGroups(groups: MorningGroup[], send: (g: MorningGroup) => Promise<void>, waves: boolean): Promise<void> {
  if (waves && groups.length > MORNING_WAVE) {
    for (let i = 0; i < groups.length; i += MORNING_WAVE) await Promise.all(groups.slice(i, i + MORNING_WAVE).map(send));
    return;
  }
  for (const g of groups) await send(g);
}

/**
 * Whether an item still asks something of its unit, given its duty's status now: nothing about work it has done
 * (a completed or closed duty), no request to acknowledge what was acknowledged. Unknown status: it does.
 */
export function stillAsked(item: OutgoingMessage, status: DutyStatus | undefined): boolean {
  if (!status) return true;
  if (status === 'completed' || status === 'closed') return false;
  return item.kind !== 'ack-request' || status === 'open';
}

export interface GroupOptions {
  /** `${instant}|${unit}` of messages already sent; updated (and pruned to the last 7 days). */
  sent: Set<string>;
  /** Workflow time now. */
  now: number;
  /** Items left out of a unit's group (a supervising office's overdue reminders on digest day). */
  skip?: (item: OutgoingMessage, unit: string) => boolean;
  /** An instant long past (a worker was down) counts as late even if nothing went for it (morning-waves). */
  lateByAge: boolean;
  /**
   * Late items of one unit from several instants go as one message (the desk). A campaign keeps one message per
   * late group, as its recorded histories did.
   */
  mergeLate?: boolean;
}

/**
 * The groups to send now from the items due: per (instant, unit), in groupItems' order. A group late for its
 * instant (its unit's message already went, or the instant is long past) goes at the current minute, as one
 * more message, with its items restamped.
 */
export function morningGroups(due: OutgoingMessage[], o: GroupOptions): MorningGroup[] {
  const minute = Math.floor(o.now / 60_000) * 60_000;
  // Each group keeps its place in groupItems' order (a campaign sends them one after another in it).
  const onTime: (MorningGroup & { order: number })[] = [];
  const late: (MorningGroup & { order: number })[] = [];
  for (const [order, g] of groupItems(due).entries()) {
    const items = o.skip ? g.items.filter((i) => !o.skip!(i, g.unit)) : g.items;
    if (!items.length) continue;
    const isLate = o.sent.has(`${g.at}|${g.unit}`) || (o.lateByAge && o.now - g.at > SETTLE_MAX_MS + 60_000);
    if (!isLate) onTime.push({ ...g, items, order });
    else {
      const same = o.mergeLate ? late.find((l) => l.unit === g.unit) : undefined;
      if (same) same.items.push(...items);
      else late.push({ ...g, items: [...items], order });
    }
  }
  for (const g of onTime) o.sent.add(`${g.at}|${g.unit}`);
  // A late message goes at the current minute, or the next one its unit has had no message in: its key (minute and
  // unit) must be one never used, or the send ledger would take it for a repeat and drop it.
  const restamped = late.map((g) => {
    let at = minute;
    while (o.sent.has(`${at}|${g.unit}`)) at += 60_000;
    o.sent.add(`${at}|${g.unit}`);
    return { ...g, at, items: g.items.map((i) => ({ ...i, at })) };
  });
  const groups = [...onTime, ...restamped].sort((a, b) => a.order - b.order).map(({ order: _order, ...g }) => g);
  // Only recent instants can still receive late items.
  for (const k of o.sent) if (Number(k.split('|')[0]) < o.now - 7 * 86_400_000) o.sent.delete(k);
  return groups;
}

/**
 * One digest per slot for supervisors, from the digests several campaigns handed the desk for it: a single
 * campaign's digest goes as it is; several go as one message, each campaign's digest a section under its title.
 */
export function combinedDigest(deskId: string, digests: OutgoingMessage[]): OutgoingMessage {
  const sorted = [...digests].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const [first] = sorted;
  if (!first) throw new Error('combinedDigest: no digest');
  if (sorted.length === 1) return first;
  const recipients = new Map<string, Recipient>();
  for (const d of sorted) for (const r of d.recipients) recipients.set(`${r.unit}|${r.role}`, r);
  const date = formatShanghai(first.at).slice(0, 10);
  const weekly = sorted.some((d) => d.key.includes('/digest/weekly/'));
  const level = sorted.reduce<Level>((l, d) => (SEVERITY[d.level] > SEVERITY[l] ? d.level : l), 'none');
  const digestsOf = sorted.flatMap((d) => (d.digest ? [d.digest] : []));
  return {
    key: `${deskId}/digest/${weekly ? 'weekly' : 'red'}/${date}`,
    kind: 'digest',
    toUnits: [...new Set(sorted.flatMap((d) => d.toUnits))],
    recipients: [...recipients.values()],
    level,
    at: first.at,
    subject: `【督办${weekly ? '周报' : '快报'}】${sorted.length} 个督办批次 · ${date}`,
    text: sorted.map((d) => `━━ ${d.subject} ━━\n${d.text}`).join('\n\n'),
    ...(digestsOf.length ? { digests: digestsOf satisfies Digest[] } : {}),
  };
}

export interface MorningGroup {
  at: number;
  unit: string;
  items: OutgoingMessage[];
}

/**
 * Items grouped per (instant, addressed unit), in a stable order: by instant, unit, then each unit's items by
 * task and duty. An item addressed to several units (an escalation to the unit, its supervising office and
 * 县委农办) is in each of their groups.
 */
export function groupItems(items: OutgoingMessage[]): MorningGroup[] {
  const groups = new Map<string, MorningGroup>();
  for (const item of items) {
    for (const unit of new Set(item.recipients.map((r) => r.unit))) {
      const key = `${item.at}|${unit}`;
      const g = groups.get(key) ?? { at: item.at, unit, items: [] };
      g.items.push(item);
      groups.set(key, g);
    }
  }
  const dutyOrder = (a: OutgoingMessage, b: OutgoingMessage) =>
    (a.taskNumber ?? 0) - (b.taskNumber ?? 0) || (a.dutyId ?? '').localeCompare(b.dutyId ?? '') || a.key.localeCompare(b.key);
  const ownFirst = (unit: string, m: OutgoingMessage) => (m.unit === unit ? 0 : 1);
  return [...groups.values()]
    .map((g) => ({ ...g, items: g.items.sort((a, b) => ownFirst(g.unit, a) - ownFirst(g.unit, b) || dutyOrder(a, b)) }))
    .sort((a, b) => a.at - b.at || (a.unit < b.unit ? -1 : a.unit > b.unit ? 1 : 0));
}

/** Which of a duty's messages at one instant speaks for it: the most pressing (a reminder carries the ask). */
const PRIORITY: MessageKind[] = ['escalation', 'overdue-reminder', 'status-check', 'quota-warning', 'reminder', 'ack-request'];

/** A message's items, one entry per duty (a duty may hand over an acknowledgement request and a reminder at once). */
export function byDuty(items: OutgoingMessage[]): { primary: OutgoingMessage; kinds: MessageKind[] }[] {
  const out = new Map<string, { primary: OutgoingMessage; kinds: MessageKind[] }>();
  for (const i of items) {
    const id = i.dutyId ?? i.key;
    const e = out.get(id);
    if (!e) {
      out.set(id, { primary: i, kinds: [i.kind] });
      continue;
    }
    e.kinds.push(i.kind);
    const rank = (k: MessageKind) => (PRIORITY.includes(k) ? PRIORITY.indexOf(k) : PRIORITY.length);
    if (rank(i.kind) < rank(e.primary.kind)) e.primary = i;
  }
  return [...out.values()];
}

/**
 * Duties listed in full in one morning message. A supervising office can be addressed by a thousand escalations on
 * one morning: listed in full (about 880 bytes an item, carried twice) one message passed Temporal's 2 MB payload
 * limit at some 1,100 items, and nobody reads past the first screens. The rest is summarised by level and task and
 * left to the dashboard.
 */
export const MORNING_LISTED_MAX = 40;

/** 「另有 N 项…」: what a message does not list, by level and task, and where to see it. */
function overflowLine(rest: { primary: OutgoingMessage }[]): string {
  const byLevel = new Map<Level, number>();
  for (const { primary } of rest) byLevel.set(primary.level, (byLevel.get(primary.level) ?? 0) + 1);
  const levels = (['red', 'yellow', 'blue', 'green', 'none'] as const)
    .filter((l) => byLevel.has(l))
    .map((l) => `${LEVEL_WORD[l]} ${byLevel.get(l)} 项`)
    .join('、');
  const tasks = [...new Set(rest.map((e) => e.primary.taskNumber).filter((t): t is number => t !== undefined))].sort((a, b) => a - b);
  const shown = tasks.slice(0, 20).join('、') + (tasks.length > 20 ? ` 等 ${tasks.length} 项任务` : '');
  return `另有 ${rest.length} 项未逐条列出（${levels}${tasks.length ? `；涉及任务 ${shown}` : ''}），请在督办平台的督办台账中查看全部。`;
}

const NUMERALS = '一二三四五六七八九十';
const numeral = (n: number) => (n <= 10 ? NUMERALS[n - 1] : String(n));

/** The one message for a group: its unit's roles that any item addresses, each item with code, level and ask. */
export function morningMessage(campaignId: string, group: MorningGroup): OutgoingMessage {
  const { unit, items, at } = group;
  const roles = new Set(items.flatMap((i) => i.recipients.filter((r) => r.unit === unit).map((r) => r.role)));
  const recipients: Recipient[] = (['coordinators', 'leaders'] as const).filter((r) => roles.has(r)).map((role) => ({ unit, role }));
  const level = items.reduce<Level>((l, i) => (SEVERITY[i.level] > SEVERITY[l] ? i.level : l), 'none');
  const entries = byDuty(items);
  const kinds = new Set(entries.map((e) => e.primary.kind));
  const own = entries.filter((e) => e.primary.unit === unit).length;
  const date = formatShanghai(at).slice(0, 10);
  const dutyCount = entries.length;
  const head = `今日督办（${unit}，${dutyCount} 项${own && own < dutyCount ? `，其中本单位 ${own} 项` : ''}）`;
  const listed = entries.slice(0, MORNING_LISTED_MAX);
  const rest = entries.slice(MORNING_LISTED_MAX);
  const body = listed.map((e, n) => {
    const i = e.primary;
    const about = i.unit === unit ? '' : ` · ${i.unit ?? ''}`;
    const code = i.code ? ` · 回复编号 ${i.code}` : '';
    const words = [...new Set(e.kinds.map((k) => KIND_WORD[k] ?? k))].join('、');
    return `${numeral(n + 1)}、【${words}·${LEVEL_WORD[i.level]}】任务${i.taskNumber ?? ''}${about}${code}\n${i.text}`;
  });
  const single = entries.length === 1 ? entries[0]?.primary : undefined;
  const listedIds = new Set(listed.flatMap((e) => [e.primary.dutyId ?? e.primary.key]));
  return {
    key: `${campaignId}/morning/${date}/${formatShanghai(at).slice(11, 16)}/${unit}`,
    // One kind when every item is of it (what a reader of the log looks for), else the morning message's own.
    kind: kinds.size === 1 ? [...kinds][0]! : 'morning',
    ...(single?.dutyId ? { dutyId: single.dutyId, taskNumber: single.taskNumber, unit: single.unit, ...(single.code ? { code: single.code } : {}) } : {}),
    ...(single?.deadline ? { deadline: single.deadline } : {}),
    toUnits: [unit],
    recipients,
    level,
    at,
    subject: `【今日督办】${unit}（${dutyCount} 项）· ${Number(date.slice(5, 7))}月${Number(date.slice(8, 10))}日`,
    text: `${head}\n\n${body.join('\n\n')}${rest.length ? `\n\n${overflowLine(rest)}` : ''}`,
    // Only the listed duties' items ride along (each duty keeps its own record of what it handed over).
    items: rest.length ? items.filter((i) => listedIds.has(i.dutyId ?? i.key)) : items,
    ...(rest.length ? { overflow: { duties: rest.length, items: items.length - items.filter((i) => listedIds.has(i.dutyId ?? i.key)).length } } : {}),
  };
}
