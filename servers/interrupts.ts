/**
 * Clean-ups that must run when this process is told to stop (Ctrl-C, SIGTERM, a closed terminal) while it
 * holds processes that would otherwise outlive it: the cluster's services are detached on purpose (a
 * successful `duban cluster up` leaves them running), so nothing else stops them if their start is cut short.
 * One set of handlers for every registration, so that one clean-up cannot exit the process before another
 * has finished; a second signal exits at once.
 */

type Cleanup = () => Promise<void> | void;

const cleanups = new Set<Cleanup>();
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
const CODES: Record<(typeof SIGNALS)[number], number> = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 };
/** A clean-up that hangs must not keep a process that was told to stop alive. */
const CLEANUP_LIMIT_MS = 30_000;
let stopping = false;

function onSignal(signal: (typeof SIGNALS)[number]): void {
  if (stopping) process.exit(CODES[signal]);
  stopping = true;
  process.stderr.write(`[duban] ${signal}: stopping what this process started…\n`);
  const all = Promise.allSettled([...cleanups].map(async (fn) => fn()));
  const limit = new Promise((r) => setTimeout(r, CLEANUP_LIMIT_MS).unref());
  void Promise.race([all, limit]).then(() => process.exit(CODES[signal]));
}

const handlers = Object.fromEntries(SIGNALS.map((s) => [s, () => onSignal(s)])) as Record<(typeof SIGNALS)[number], () => void>;

/** Runs `fn` on SIGINT/SIGTERM/SIGHUP, then exits; the returned function unregisters it. */
export function onInterrupt(fn: Cleanup): () => void {
  if (cleanups.size === 0) for (const s of SIGNALS) process.on(s, handlers[s]);
  cleanups.add(fn);
  return () => {
    if (!cleanups.delete(fn) || cleanups.size > 0) return;
    // Without handlers the signals' default (exit) is back, as before the first registration.
    for (const s of SIGNALS) process.off(s, handlers[s]);
  };
}

/** Whether a stop signal arrived (a start in progress then starts nothing more). */
export function interrupted(): boolean {
  return stopping;
}
