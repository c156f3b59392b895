/** Message definitions, defined once and imported by the worker, CLI, bot and tests. */
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { DutyState } from './types';

export interface Actor {
  /** Display name or WeChat id of the person. */
  person: string;
  /** The unit the person speaks for, as the directory says. */
  unit: string;
  role: 'coordinator' | 'leader' | 'supervisor' | 'discipline';
}

export interface AcknowledgeRequest {
  actor: Actor;
}
export interface CompleteRequest {
  actor: Actor;
  note: string;
}

export const statusQuery = defineQuery<DutyState>('status');
export const acknowledgeUpdate = defineUpdate<DutyState, [AcknowledgeRequest]>('acknowledge');
export const completeUpdate = defineUpdate<DutyState, [CompleteRequest]>('complete');
