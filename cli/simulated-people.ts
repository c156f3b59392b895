/**
 * Simulated coordinators and supervisors for `duban simulate`: each duty gets a persona, chosen
 * deterministically from its id, and answers messages the way such a unit would.
 */
import { addDays } from '../calendar/working-days';
import type { Actor } from '../workflows/messages';
import type { OutgoingMessage } from '../workflows/types';

export type RepliesMode = 'none' | 'prompt' | 'mixed';
export type Persona = 'prompt' | 'late' | 'extension' | 'rejected' | 'silent';

/** A reply the simulator sends as an Update: the duty id, the update's name and its argument. */
export interface SimulatedReply {
  dutyId: string;
  task: number;
  unit: string;
  update: 'acknowledge' | 'complete' | 'reject' | 'requestExtension' | 'decideExtension' | 'reportProgress' | 'reportActions';
  arg: Record<string, unknown>;
  /** The chat text a person would have typed, for the transcript. */
  says: string;
}

function hash(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619) >>> 0;
  return h;
}

export function personaOf(dutyId: string, mode: RepliesMode): Persona | undefined {
  if (mode === 'none') return undefined;
  if (mode === 'prompt') return 'prompt';
  const r = hash(dutyId) % 10;
  return r < 4 ? 'prompt' : r < 6 ? 'late' : r < 7 ? 'extension' : r < 8 ? 'rejected' : 'silent';
}

export const SIM_SUPERVISOR: Actor = { person: '督查员（模拟）', unit: '县乡村振兴局', role: 'supervisor' };

/** What the people addressed by `msg` answer; `seen` counts earlier messages per duty and kind. */
export function repliesTo(msg: OutgoingMessage, mode: RepliesMode, seen: Map<string, number>): SimulatedReply[] {
  const dutyId = msg.dutyId;
  const persona = dutyId ? personaOf(dutyId, mode) : undefined;
  if (!dutyId || !persona || !msg.unit) return [];
  const count = (kind: string) => {
    const k = `${dutyId}#${kind}`;
    const n = (seen.get(k) ?? 0) + 1;
    seen.set(k, n);
    return n;
  };
  const n = count(msg.kind);
  const actor: Actor = { person: `${msg.unit}联络员（模拟）`, unit: msg.unit, role: 'coordinator' };
  const t = msg.taskNumber ?? 0;
  const base = { dutyId, task: t, unit: msg.unit };
  const ack: SimulatedReply = { ...base, update: 'acknowledge', arg: { actor }, says: `收到 ${t}` };
  const complete = (note: string): SimulatedReply => ({ ...base, update: 'complete', arg: { actor, note }, says: `完成 ${t} ${note}` });
  const isProgress = dutyId.includes('/r') && msg.text.includes('进度');
  const isQuota = /\/q\//.test(dutyId);
  const onDay = msg.kind === 'reminder' && msg.text.includes('今天截止');
  const dayBefore = msg.kind === 'reminder' && msg.text.includes('还有 1 个工作日');

  if (msg.kind === 'extension-request') {
    return [{ ...base, unit: SIM_SUPERVISOR.unit, update: 'decideExtension', arg: { actor: SIM_SUPERVISOR, approve: true }, says: `同意延期 ${t}` }];
  }
  if (isQuota && (msg.kind === 'ack-request' || msg.kind === 'quota-warning' || msg.kind === 'reminder')) {
    if (persona === 'silent') return [];
    const visits: SimulatedReply = { ...base, update: 'reportActions', arg: { actor, count: 1 }, says: `走访 ${t} +1` };
    return persona === 'prompt' || msg.kind !== 'ack-request' ? [visits, visits, visits] : [visits];
  }
  if (isProgress && (msg.kind === 'reminder' || msg.kind === 'status-check')) {
    if (persona === 'silent' || (msg.kind === 'reminder' && !dayBefore && !onDay)) return [];
    const percent = persona === 'late' && n === 1 ? 40 : 75;
    return [{ ...base, update: 'reportProgress', arg: { actor, percent, bar: 60 }, says: `进度 ${t} ${percent}% 全省60%` }];
  }
  switch (persona) {
    case 'prompt':
      if (msg.kind === 'ack-request' && n === 1) return [ack];
      if (msg.kind === 'status-check') return [complete('已按期完成，补报')];
      if (dayBefore || onDay) return [complete('已完成，材料已报县局')];
      return [];
    case 'late':
      if (msg.kind === 'ack-request' && n === 3) return [ack];
      if (msg.kind === 'escalation') return [complete('已完成（逾期）')];
      return [];
    case 'extension':
      if (msg.kind === 'ack-request' && n === 1) return [ack];
      if (msg.kind === 'status-check' || (msg.kind === 'reminder' && n === 1)) {
        // A co-unit's part can be put off only as far as the lead's own date, which its messages give.
        const leadDate = /其截止 (\d{4}-\d{2}-\d{2})/.exec(msg.text)?.[1];
        const date = leadDate ?? addDays(msg.deadline ?? '2022-12-31', 15);
        return [{ ...base, update: 'requestExtension', arg: { actor, date, reason: '等待上级批复' }, says: `延期 ${t} ${date} 等待上级批复` }];
      }
      if (onDay) return [complete('延期后完成')];
      return [];
    case 'rejected':
      if (msg.kind === 'ack-request' && n === 1) return [ack];
      if ((dayBefore && n >= 1) || msg.kind === 'status-check') {
        if (seen.get(`${dutyId}#rejected`)) return [complete('已补充材料')];
        seen.set(`${dutyId}#rejected`, 1);
        return [complete('已完成'), { ...base, unit: SIM_SUPERVISOR.unit, update: 'reject', arg: { actor: SIM_SUPERVISOR, reason: '材料不全' }, says: `驳回 ${t} 材料不全` }];
      }
      if (onDay || msg.kind === 'escalation') return [complete('已补充材料')];
      return [];
    case 'silent':
      return [];
  }
}
