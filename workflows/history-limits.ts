/**
 * When the long-lived workflows (campaign, desk) continue as new. Temporal ends a workflow at 50,000 events or
 * 50 MB of history; they continue well before, and past the hard limits even with morning items waiting (each item
 * is a message of a few KB, carried when they continue).
 */
export const HISTORY_EVENTS_BEFORE_CONTINUE = 8000;
export const HISTORY_EVENTS_HARD = 40_000;
export const HISTORY_BYTES_HARD = 30 * 1024 * 1024;
/**
 * Temporal refuses a run's signals past 10,000 (the server's limit.maxSignalsPerExecution, the dev server's and a
 * cluster's default): a desk taking an evening's hand-over continues as new well before, even with items waiting.
 * The margin is for the signals that keep arriving while its last workflow task of the run is being retried.
 */
export const DESK_SIGNALS_BEFORE_CONTINUE = 6000;
