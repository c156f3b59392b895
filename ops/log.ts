/**
 * duban's log lines: a person at a terminal reads today's plain lines; a log collector (systemd, Docker, a
 * file) gets one JSON object a line, {time, level, msg, ...meta}. Logs go to standard error, so a command's
 * own output on standard output (`--json`) stays clean.
 */
import type { LogEntry, LogLevel as SdkLogLevel } from '@temporalio/worker';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogMeta = Record<string, unknown>;

export interface LogStream {
  write(text: string): unknown;
  isTTY?: boolean;
}

/**
 * JSON lines unless the stream is a terminal. DUBAN_LOG_FORMAT=json|text overrides (e.g. json under a
 * terminal multiplexer that a collector also reads).
 */
export function wantsJson(stream: LogStream, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.DUBAN_LOG_FORMAT === 'json') return true;
  if (env.DUBAN_LOG_FORMAT === 'text') return false;
  return stream.isTTY !== true;
}

/** Errors become {name, message, stack}; bigints strings; a cycle is cut — a log line must never throw. */
function safeJson(value: unknown): string {
  const seen = new WeakSet<object>();
  return JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v === 'bigint') return v.toString();
    if (v instanceof Error) return { name: v.name, message: v.message, ...(v.stack ? { stack: v.stack } : {}) };
    if (typeof v === 'object' && v !== null) {
      if (seen.has(v)) return '[circular]';
      seen.add(v);
    }
    return v;
  });
}

/** One line, without its newline. Meta never overwrites time, level or msg. */
export function formatLogLine(json: boolean, time: Date, level: LogLevel, msg: string, meta: LogMeta = {}): string {
  if (!json) {
    const extra = Object.entries(meta)
      .map(([k, v]) => ` ${k}=${v instanceof Error ? String(v) : typeof v === 'string' ? v : safeJson(v)}`)
      .join('');
    return `${level === 'info' ? '' : `[${level}] `}${msg}${extra}`;
  }
  return safeJson({ ...meta, time: time.toISOString(), level, msg });
}

export interface Log {
  debug(msg: string, meta?: LogMeta): void;
  info(msg: string, meta?: LogMeta): void;
  warn(msg: string, meta?: LogMeta): void;
  error(msg: string, meta?: LogMeta): void;
}

export function createLog(stream: LogStream = process.stderr, options: { json?: boolean; debug?: boolean; now?: () => Date } = {}): Log {
  const json = options.json ?? wantsJson(stream);
  const debug = options.debug ?? process.env.DUBAN_LOG_LEVEL === 'debug';
  const now = options.now ?? (() => new Date());
  const write = (level: LogLevel) => (msg: string, meta?: LogMeta) => {
    if (level === 'debug' && !debug) return;
    stream.write(`${formatLogLine(json, now(), level, msg, meta)}\n`);
  };
  return { debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error') };
}

const SDK_LEVEL: Record<SdkLogLevel, LogLevel> = { TRACE: 'debug', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error' };

/**
 * The Temporal SDK's log function (DefaultLogger's second argument) writing JSON lines; on a terminal the
 * SDK's own format is kept by passing none. Its native core's lines are forwarded to it too.
 */
export function sdkJsonLog(stream: LogStream = process.stderr): (entry: LogEntry) => void {
  return (entry) => {
    const time = new Date(Number(entry.timestampNanos / 1_000_000n));
    stream.write(`${formatLogLine(true, time, SDK_LEVEL[entry.level], entry.message, { source: 'temporal', ...entry.meta })}\n`);
  };
}
