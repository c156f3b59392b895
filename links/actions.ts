/**
 * Which action links a person finds in a message: a unit's coordinators and leaders get 「确认收到」, 「报办结」
 * (a progress or visit report on those duties) and 「申请延期」 for each of their unit's duties the message
 * names; a supervising office gets 「同意延期」 / 「不同意」 in an extension request. Every link names the one
 * duty, the one person, and expires after 30 days at the latest.
 */
import type { ResolvedPerson } from '../channels/recipients';
import type { Directory } from '../plan/directory';
import { MESSAGES_TO_UNIT, type OutgoingMessage } from '../workflows/types';
import { LINK_MAX_AGE_MS, signLink, type LinkAction } from './token';

export interface ActionLink {
  action: LinkAction;
  dutyId: string;
  /** What the person reads: 「确认收到 任务1」. */
  label: string;
  url: string;
}

export interface LinkSigner {
  /** DUBAN_PUBLIC_URL, without a trailing slash. */
  publicUrl: string;
  secret: (() => string) & { retired?: () => string[] };
}

/** Actions a post in a group may carry: the unit's own work only, never a decision or an office's sign-in. */
const GROUP_ACTIONS = new Set<LinkAction>(['ack', 'done', 'extend']);

export const ACTION_CN: Record<LinkAction, string> = {
  ack: '确认收到',
  done: '报办结／报进度',
  extend: '申请延期',
  approve: '同意延期',
  refuse: '不同意延期',
  reject: '驳回办结',
  office: '进入督办看板',
};

/** The dashboard session of an office's person: the `office` link's own text, in an HttpOnly cookie. */
export const OFFICE_COOKIE = 'duban_office';

const UNIT_ACTIONS: LinkAction[] = ['ack', 'done', 'extend'];

function dutiesOf(msg: OutgoingMessage): { dutyId: string; unit: string; taskNumber?: number; code?: string }[] {
  const items = msg.items?.length ? msg.items : [msg];
  return items.flatMap((m) => (m.dutyId && m.unit ? [{ dutyId: m.dutyId, unit: m.unit, ...(m.taskNumber ? { taskNumber: m.taskNumber } : {}), ...(m.code ? { code: m.code } : {}) }] : []));
}

export function linksFor(signer: LinkSigner, dir: Directory, msg: OutgoingMessage, person: ResolvedPerson): ActionLink[] {
  const secret = signer.secret();
  const link = (action: LinkAction, duty: { dutyId: string; taskNumber?: number; code?: string }, role: 'coordinator' | 'leader' | 'supervisor'): ActionLink => {
    const token = signLink(secret, { a: action, d: duty.dutyId, p: person.name, u: person.unit, r: role, i: msg.at, e: msg.at + LINK_MAX_AGE_MS, m: msg.key });
    const what = duty.code ? `编号 ${duty.code}` : duty.taskNumber ? `任务${duty.taskNumber}` : '';
    return { action, dutyId: duty.dutyId, label: `${ACTION_CN[action]}${what ? `（${what}）` : ''}`, url: `${signer.publicUrl}/a/${token}` };
  };
  const out: ActionLink[] = [];
  // Supervisors and the discipline inspection office open the dashboard as themselves from their digest.
  if (msg.kind === 'digest' && (dir.supervisors.includes(person.unit) || dir.disciplineOffice === person.unit)) {
    const role = dir.supervisors.includes(person.unit) ? 'supervisor' : person.role === 'leaders' ? 'leader' : 'coordinator';
    const token = signLink(secret, { a: 'office', d: '*', p: person.name, u: person.unit, r: role, i: msg.at, e: msg.at + LINK_MAX_AGE_MS, m: msg.key });
    out.push({ action: 'office', dutyId: '*', label: ACTION_CN.office, url: `${signer.publicUrl}/a/${token}` });
  }
  const unitKind = msg.kind === 'morning' || MESSAGES_TO_UNIT.includes(msg.kind);
  for (const duty of dutiesOf(msg)) {
    if (unitKind && duty.unit === person.unit) {
      for (const action of UNIT_ACTIONS) out.push(link(action, duty, person.role === 'leaders' ? 'leader' : 'coordinator'));
    } else if (msg.kind === 'extension-request' && dir.supervisors.includes(person.unit) && duty.unit !== person.unit) {
      for (const action of ['approve', 'refuse'] as const) out.push(link(action, duty, 'supervisor'));
    }
  }
  return out;
}

/** The links a unit's own group robot carries: its first coordinator's (the group is the unit's own). */
export function unitLinks(signer: LinkSigner, dir: Directory, msg: OutgoingMessage, unit: string): ActionLink[] {
  // Everyone in the group can open them: an office's group never gets links (its people decide for others and
  // sign in to the dashboard; those links stay in each person's own email).
  if (dir.supervisors.includes(unit) || dir.disciplineOffice === unit) return [];
  const first = dir.units[unit]?.coordinators[0];
  return first ? linksFor(signer, dir, msg, { ...first, unit, role: 'coordinators' }).filter((l) => GROUP_ACTIONS.has(l.action)) : [];
}
