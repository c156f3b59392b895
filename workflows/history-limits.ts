/**
 * When the long-lived workflows (campaign, desk) continue as new. Temporal ends a workflow at 50,000 events or
 * 50 MB of history; they continue well before, and past the hard limits even with morning items waiting (each item
 * is a message of a few KB, carried when they continue).
 */
export const HISTORY_EVENTS_BEFORE_CONTINUE = 8000;
export const HISTORY_EVENTS_HARD = 40_000;
export const HISTORY_BYTES_HARD = 30 * 1024 * 1024;
