/**
 * duban's own metrics, recorded on the Temporal SDK's metric meter: the runtime's Prometheus exporter serves
 * them on the same /metrics as the SDK's temporal_* metrics, so one scrape has both and there is no second
 * HTTP server. Without an exporter (tests, `duban simulate`) the meter is the SDK's no-op one.
 */
import type { MetricCounter, MetricGauge, MetricMeter } from '@temporalio/common';
import type { Level, LedgerEntry } from '../workflows/types';

export const METRIC = {
  messagesSent: 'duban_messages_sent',
  deliveryFailures: 'duban_delivery_failures',
  replies: 'duban_replies',
  duties: 'duban_duties',
} as const;

/** What a message went through: every message is recorded in the outbox; the others are real channels. */
export type SentChannel = 'outbox' | 'email' | 'wecom' | 'wechat';
export type FailedChannel = Exclude<SentChannel, 'outbox'>;

export const LEVELS: readonly Level[] = ['none', 'blue', 'yellow', 'red', 'green'];

export interface DubanMetrics {
  messageSent(channel: SentChannel, kind: string): void;
  deliveryFailed(channel: FailedChannel): void;
  reply(intent: string): void;
  /** Open duties per level (every level, zeros included, so a level that empties drops to 0). */
  duties(counts: Record<Level, number>): void;
}

export function dubanMetrics(meter: MetricMeter): DubanMetrics {
  // Each made on first use: making one is a call into the native runtime.
  let sent: MetricCounter | undefined;
  let failed: MetricCounter | undefined;
  let replies: MetricCounter | undefined;
  let duties: MetricGauge | undefined;
  return {
    messageSent: (channel, kind) => {
      sent ??= meter.createCounter(METRIC.messagesSent, '', '督办消息（按渠道、类型）messages sent, by channel and kind');
      sent.add(1, { channel, kind });
    },
    deliveryFailed: (channel) => {
      failed ??= meter.createCounter(METRIC.deliveryFailures, '', '发送失败的尝试（按渠道）delivery attempts that failed, by channel');
      failed.add(1, { channel });
    },
    reply: (intent) => {
      replies ??= meter.createCounter(METRIC.replies, '', '收到的回复（按意图）replies received, by intent');
      replies.add(1, { intent });
    },
    duties: (counts) => {
      duties ??= meter.createGauge(METRIC.duties, 'int', '', '未结束的时限任务（按颜色）open duties, by level');
      for (const level of LEVELS) duties.set(counts[level], { level });
    },
  };
}

const perMeter = new WeakMap<MetricMeter, DubanMetrics>();

/**
 * The counters of one meter, made once: creating a counter is a call into the native runtime, and an activity
 * counts on its own meter (its tags) several times. Forgotten with the meter.
 */
export function metricsOf(meter: MetricMeter): DubanMetrics {
  let m = perMeter.get(meter);
  if (!m) perMeter.set(meter, (m = dubanMetrics(meter)));
  return m;
}

export const noMetrics: DubanMetrics = { messageSent: () => undefined, deliveryFailed: () => undefined, reply: () => undefined, duties: () => undefined };

/** Open (not ended) duties of a campaign's ledger, per level. */
export function dutiesByLevel(ledger: readonly LedgerEntry[]): Record<Level, number> {
  const counts: Record<Level, number> = { none: 0, blue: 0, yellow: 0, red: 0, green: 0 };
  for (const e of ledger) if (!e.ended) counts[e.level] += 1;
  return counts;
}

/** Which processes serve /metrics, and the variable that moves each one's port. */
const PORT_VARIABLE: Record<string, { variable: string; defaultPort: number } | undefined> = {
  start: { variable: 'DUBAN_METRICS_PORT', defaultPort: 9464 },
  worker: { variable: 'DUBAN_METRICS_PORT', defaultPort: 9464 },
  bot: { variable: 'DUBAN_BOT_METRICS_PORT', defaultPort: 9465 },
};

export interface MetricsEndpoint {
  variable: string;
  bindAddress: string;
  /** Chosen by the operator (the variable is set): a taken port is then an error, not a reason to go without. */
  explicit: boolean;
}

/**
 * Where a command's Prometheus endpoint listens: always loopback (a collector on the same machine, or a
 * tunnel), never for `duban simulate` and the short commands. 0 or `off` turns it off.
 */
export function metricsEndpoint(command: string, env: NodeJS.ProcessEnv = process.env): MetricsEndpoint | undefined {
  const spec = PORT_VARIABLE[command];
  if (!spec) return undefined;
  const raw = env[spec.variable]?.trim();
  if (raw === 'off' || raw === '0') return undefined;
  if (raw === undefined || raw === '') return { variable: spec.variable, bindAddress: `127.0.0.1:${spec.defaultPort}`, explicit: false };
  const port = Number(raw);
  if (!/^\d+$/.test(raw) || port < 1 || port > 65535) {
    throw new Error(`${spec.variable}=${raw}：须为 1–65535 的端口号，或 0 / off 关闭指标 (a port number, or 0/off to turn metrics off)`);
  }
  return { variable: spec.variable, bindAddress: `127.0.0.1:${port}`, explicit: true };
}

/** The start-up line about a process's metrics; `warn` when it runs without them against the operator's default. */
export interface MetricsNote {
  line: string;
  warn: boolean;
}

/**
 * Where a command serves its metrics, or why it serves none: turned off, or (`taken`) its default port held by
 * another process — a second duban on the same machine, say — so it runs without them rather than not at all.
 */
export function metricsNote(command: string, served: MetricsEndpoint | undefined, taken?: MetricsEndpoint): MetricsNote {
  const variable = PORT_VARIABLE[command]?.variable ?? 'DUBAN_METRICS_PORT';
  if (served) return { line: `指标 metrics: http://${served.bindAddress}/metrics（${served.variable}）`, warn: false };
  if (taken) {
    return {
      line: `指标端口 ${taken.bindAddress} 已被占用，本进程不提供指标 (metrics port in use, running without metrics)：设置 ${variable} 为空闲端口后重启以提供指标，或设置 ${variable}=off 不再提示`,
      warn: true,
    };
  }
  return { line: `指标已关闭 metrics off (${variable}=off)`, warn: false };
}
