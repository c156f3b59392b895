/** Message definitions, defined once and imported by the worker, CLI, bot and tests. */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { WorkCalendar } from '../calendar/working-days';
import type { ValidPlan } from '../plan/schema';
import type { LedgerPage, LedgerPageRequest } from './ledger-page';
import type { DeliveryTimings, DutyState, DutyStatus, LedgerEntry, MessageKind, OutgoingMessage, ReplyChannel } from './types';

export interface Actor {
  /** Display name or WeChat id of the person. */
  person: string;
  /** The unit the person speaks for, as the directory says. */
  unit: string;
  role: 'coordinator' | 'leader' | 'supervisor' | 'discipline';
  /** Where the reply came from (the timeline names it); absent = WeChat, as before 0.8.0. */
  channel?: ReplyChannel;
}

/** The ways a reply reaches duban (defined with the other shared types). */
export type { ReplyChannel } from './types';

export interface ActorRequest {
  actor: Actor;
}
export interface CompleteRequest extends ActorRequest {
  note: string;
}
export interface RejectRequest extends ActorRequest {
  reason: string;
}
export interface ExtensionRequestInput extends ActorRequest {
  /** New date, YYYY-MM-DD. */
  date: string;
  reason: string;
}
export interface ExtensionDecision extends ActorRequest {
  approve: boolean;
  reason?: string;
}
export interface ProgressReport extends ActorRequest {
  percent: number;
  /** The bar to compare with (e.g. the provincial average this month); defaults to the plan's bar. */
  bar?: number;
}
export interface ActionsReport extends ActorRequest {
  count: number;
  /** 1-based quota item; omitted = the first item not yet met. */
  item?: number;
}

export const statusQuery = defineQuery<DutyState>('status');
export const acknowledgeUpdate = defineUpdate<DutyState, [ActorRequest]>('acknowledge');
export const completeUpdate = defineUpdate<DutyState, [CompleteRequest]>('complete');
export const rejectUpdate = defineUpdate<DutyState, [RejectRequest]>('reject');
export const requestExtensionUpdate = defineUpdate<DutyState, [ExtensionRequestInput]>('requestExtension');
export const decideExtensionUpdate = defineUpdate<DutyState, [ExtensionDecision]>('decideExtension');
export const reportProgressUpdate = defineUpdate<DutyState, [ProgressReport]>('reportProgress');
export const reportActionsUpdate = defineUpdate<DutyState, [ActionsReport]>('reportActions');
/** 「撤回」: the writer takes back their own latest acknowledgement, completion, progress or visit report, the same day. */
export const undoUpdate = defineUpdate<DutyState, [ActorRequest]>('undo');

/** A refused attempt to act on a duty (a stranger, another unit, a forged supervisor), for its history. */
export interface RefusedAttempt {
  /** Who wrote, as the chat showed them. */
  who: string;
  text: string;
  reason: string;
}
export const attemptRefusedSignal = defineSignal<[RefusedAttempt]>('attemptRefused');

/** Desk or campaign → duty: a message that carried the duty's item reached neither by WeChat nor by email. */
export interface DeliveryFailure {
  key: string;
  kind: MessageKind;
  /** The message's instant. */
  at: number;
  units: string[];
  reason: string;
}
export const deliveryFailedSignal = defineSignal<[DeliveryFailure]>('deliveryFailed');

/** Duty → campaign: the duty's ledger line changed. */
export const dutyChangedSignal = defineSignal<[LedgerEntry]>('dutyChanged');
/** The whole ledger in one answer: past about 6,400 duties it is over Temporal's 2 MB; readers use ledgerPageQuery. */
export const ledgerQuery = defineQuery<LedgerEntry[]>('ledger');
/** One page of the ledger (workflows/ledger-page.ts); campaigns/ledger-read.ts reads them all. */
export const ledgerPageQuery = defineQuery<LedgerPage, [LedgerPageRequest]>('ledgerPage');
/** Campaign → duty: send your ledger line again (a restarted campaign rebuilding its ledger). */
export const reportRequestSignal = defineSignal('reportRequest');
/** Duty → campaign: a scheduled message for the unit's morning message (workflows/morning.ts). */
export const morningItemSignal = defineSignal<[OutgoingMessage]>('morningItem');
/**
 * Administrator → campaign → each running duty: official days for more years (the State Council publishes next
 * year's in November or December, while campaigns run). Laid over the calendar the workflow has; what is still
 * ahead is re-planned, the past stays as it was.
 */
export const calendarUpdateSignal = defineSignal<[WorkCalendar]>('calendarUpdate');
/** The calendar a campaign runs on now. */
export const calendarQuery = defineQuery<WorkCalendar>('calendar');

/** Duty → morning desk: the duty's status changed (items about work done while they waited are dropped). */
export const dutyStatusSignal = defineSignal<[{ dutyId: string; status: DutyStatus }]>('dutyStatus');
/** Campaign → morning desk: a digest for its slot; several campaigns' digests of one slot go as one message. */
export const deskDigestSignal = defineSignal<[OutgoingMessage]>('deskDigest');
/**
 * Campaign → morning desk, when it starts and finds the desk running: it is one of the desk's campaigns now, with
 * its digest readers and calendar; its channel settings become the desk's (the latest campaign started carries
 * the deployment's current configuration, e.g. WeChat turned on).
 */
export interface DeskJoin {
  campaignId: string;
  digestUnits: string[];
  calendar: WorkCalendar;
  wechatTaskQueue?: string;
  delivery?: DeliveryTimings;
  /** The deployment's desk shards, when over one: a count above the desk's raises it (workflows/desk-shards.ts). */
  shards?: number;
}
export const deskJoinSignal = defineSignal<[DeskJoin]>('deskJoin');
/**
 * Duty → morning desk: take back items handed ahead of their instant (hand-ahead): the duty's state changed before
 * the instant came (a reply, an extension, a calendar), and it hands what it still has to say again, as it now stands.
 */
export const deskRetractSignal = defineSignal<[{ keys: string[] }]>('deskRetract');
/**
 * `duban desk ensure` → campaign → each running duty: the desk was started again (terminated, lost): hand it again
 * what you handed ahead and is still to come, since the new desk holds none of it.
 */
export const deskRehandSignal = defineSignal('deskRehand');
/** What a campaign tells its desk when it joins: `duban desk ensure` rebuilds a desk from every running campaign's. */
export const deskJoinQuery = defineQuery<DeskJoin>('deskJoin');
/** `duban campaign stop` → desk: drop what the stopped campaign's duties handed over (nothing more about them). */
export const deskDropSignal = defineSignal<[{ campaignId: string }]>('deskDrop');
/**
 * Home shard → the desk's other shards: the campaigns, calendar, channels and shard count they send with, replaced
 * whole whenever one of them changes at the home shard (a campaign joins, a calendar is loaded, the count is raised).
 */
export interface DeskSync {
  campaigns: { campaignId: string; digestUnits: string[] }[];
  calendar: WorkCalendar;
  wechatTaskQueue?: string;
  delivery?: DeliveryTimings;
  shards: number;
}
export const deskSyncSignal = defineSignal<[DeskSync]>('deskSync');
/** Shard → shard: items (or parts of items) whose recipients belong to the receiving shard, a batch at a time. */
export const morningItemsSignal = defineSignal<[OutgoingMessage[]]>('morningItems');
/**
 * Parcels (0.9.0): a desk continuing as new with more than fits in one payload leaves the rest in parcel
 * workflows. The new run asks each for what it holds (parcelFetch), and the parcel signals it back (deskParcel).
 */
export interface DeskParcel {
  parcelId: string;
  pending: OutgoingMessage[];
  digests: OutgoingMessage[];
  status: [string, DutyStatus][];
  sent: string[];
  /** Keys the desk shard had passed on to other shards (0.9.1, desk-carry-bounded). */
  moved?: [string, { at: number; dutyId?: string; to: string[] }][];
}
export const parcelFetchSignal = defineSignal('parcelFetch');
export const deskParcelSignal = defineSignal<[DeskParcel]>('deskParcel');
/** What the desk holds: items and digests waiting for their instant to settle. */
export const deskQuery = defineQuery<{ pending: number; digests: number; shards?: number }>('desk');

/** What a campaign is: its notice, year and reply-code prefix (the dashboard, `duban campaign list`, the bot). */
export interface CampaignInfo {
  campaignId: string;
  title: string;
  year: number;
  /** Reply codes of this campaign start with it (e.g. 'b' → b5, b19a); '' for the deployment's first campaign. */
  codePrefix: string;
  /** The morning desk it hands its messages to, if any. */
  morningDesk?: string;
  startedAt: number;
}
export const campaignInfoQuery = defineQuery<CampaignInfo>('campaignInfo');
/** The plan a campaign runs (the dashboard's pages for a campaign it did not start itself). */
export const planQuery = defineQuery<ValidPlan>('plan');
