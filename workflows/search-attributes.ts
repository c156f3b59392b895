/**
 * The search attributes a duty carries, so the Temporal Web UI and `temporal workflow list --query` find duties by
 * campaign, unit, task, level and deadline, e.g. `DubanUnit='县财政局' AND DubanLevel='red'`.
 *
 * Shared by workflow code (which sets them), the CLI and the server set-up (which register them): a server that
 * does not know them refuses a workflow that sets them, so a campaign sets them only when its starter has made
 * sure they exist (`CampaignInput.searchAttributes`).
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const DUBAN_CAMPAIGN = defineSearchAttributeKey('DubanCampaign', SearchAttributeType.KEYWORD);
export const DUBAN_UNIT = defineSearchAttributeKey('DubanUnit', SearchAttributeType.KEYWORD);
export const DUBAN_TASK = defineSearchAttributeKey('DubanTask', SearchAttributeType.INT);
/** none | blue | yellow | red | green, as on the dashboard. */
export const DUBAN_LEVEL = defineSearchAttributeKey('DubanLevel', SearchAttributeType.KEYWORD);
export const DUBAN_DEADLINE = defineSearchAttributeKey('DubanDeadline', SearchAttributeType.DATETIME);

export const DUBAN_SEARCH_ATTRIBUTES = [DUBAN_CAMPAIGN, DUBAN_UNIT, DUBAN_TASK, DUBAN_LEVEL, DUBAN_DEADLINE] as const;

/** The deadline as an instant: the end of its day in Shanghai (23:59:59 +08:00), what "due by" means. */
export function deadlineInstant(deadline: string): Date {
  return new Date(`${deadline}T23:59:59+08:00`);
}
