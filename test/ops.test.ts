/**
 * Operating duban: a real `duban worker` process (started as an operator would, output to pipes) serves
 * Prometheus metrics — the SDK's and duban's own — on loopback, logs JSON lines, and its dashboard answers
 * /healthz; a dashboard whose queue has no worker answers 503.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import type { MetricMeter } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { parse, stringify } from 'yaml';
import { createActivities } from '../activities';
import { RecordingChannel } from '../activities/outbox';
import { answer } from '../bot/replies';
import { loadCampaign } from '../cli/campaign-input';
import { startDashboard } from '../dashboard/server';
import { createLog, formatLogLine } from '../ops/log';
import { metricsEndpoint } from '../ops/metrics';
import { groupItems, morningMessage } from '../workflows/morning';
import { ledgerQuery } from '../workflows/messages';
import type { MessageKind, OutgoingMessage } from '../workflows/types';
import { dutyInput } from './duty-fixtures';
import { uniqueQueue } from './env';
import { until } from './until';

const root = join(__dirname, '..');
const duban = join(root, 'bin', 'duban.js');

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}

/** Stops a child process and waits until it has exited (SIGKILL if SIGTERM has not done it in 20 s). */
async function stop(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  await exited;
  clearTimeout(timer);
}

/** The newest morning message's instant in an outbox file, read as a person would: its key names the morning. */
function newestMorning(outbox: string): string | null {
  if (!existsSync(outbox)) return null;
  const ats = readFileSync(outbox, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as OutgoingMessage)
    .filter((m) => m.key.includes('/morning/'))
    .map((m) => m.at);
  return ats.length ? new Date(Math.max(...ats)).toISOString() : null;
}

/** The environment of a clean operator shell: nothing configured but what the test sets. */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^(DUBAN_|TEMPORAL_|WECHATY_)/.test(k)) env[k] = v;
  return { ...env, ...extra };
}

/** One sample's value from Prometheus text: `name{a="x",b="y"} 3`, labels in any order. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) return Number(m[3]);
  }
  return undefined;
}

describe('a duban worker process, its output on pipes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'duban-ops-'));
  const taskQueue = uniqueQueue('ops');
  let child: ChildProcess;
  let stderr = '';
  let stdout = '';
  let metricsUrl = '';
  let client: Client;

  beforeAll(async () => {
    // A campaign of one duty (task 1 of the seed plan, its lead unit), under a name no other test uses.
    const year = new Date().getFullYear();
    const full = join(dir, 'full.yaml');
    const made = spawnSync('node', [duban, 'plan', join(root, 'seeds', 'dazhu-2022-28.txt'), '--year', String(year), '--out', full], { encoding: 'utf8' });
    expect(made.status, made.stderr).toBe(0);
    const plan = parse(readFileSync(full, 'utf8')) as { tasks: unknown[] };
    const planFile = join(dir, `ops-${randomUUID().slice(0, 8)}.yaml`);
    writeFileSync(planFile, stringify({ ...plan, tasks: plan.tasks.slice(0, 1) }));

    const port = await freePort();
    metricsUrl = `http://127.0.0.1:${port}/metrics`;
    child = spawn(process.execPath, [duban, 'worker'], {
      env: cleanEnv({
        TEMPORAL_ADDRESS: inject('devServerAddress'),
        TEMPORAL_TASK_QUEUE: taskQueue,
        DUBAN_METRICS_PORT: String(port),
        DUBAN_DATA_DIR: dir,
        DUBAN_START_CAMPAIGN: '1',
        DUBAN_PLAN: planFile,
        DUBAN_YEAR: String(year),
        DUBAN_DASHBOARD_PORT: '0',
      }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise<never>((_, reject) => child.once('exit', (code) => reject(new Error(`duban worker exited ${code}: ${stderr}`))));
    exited.catch(() => undefined);
    await Promise.race([until('the dashboard line', () => /"msg":"督办看板 dashboard/.test(stderr), 110_000), exited]);
    client = new Client({ connection: await Connection.connect({ address: inject('devServerAddress') }) });
  }, 120_000);

  afterAll(async () => {
    // The campaign it started, and the duties it started (abandoned children: they outlive their campaign).
    const campaignId = /督办批次已启动 campaign started: ([^（"]+)（/.exec(stderr)?.[1];
    if (client && campaignId) {
      const campaign = client.workflow.getHandle(campaignId);
      const ledger = await campaign.query(ledgerQuery).catch(() => []);
      for (const e of ledger) await client.workflow.getHandle(e.dutyId).terminate('test over').catch(() => undefined);
      await campaign.terminate('test over').catch(() => undefined);
    }
    await stop(child);
    await client?.connection.close();
  }, 60_000);

  it('logs JSON lines to standard error and prints nothing on standard output', () => {
    const lines = stderr.trim().split('\n');
    expect(lines.length).toBeGreaterThan(3);
    for (const line of lines) {
      const entry = JSON.parse(line) as Record<string, unknown>;
      expect(typeof entry.msg, line).toBe('string');
      expect(['debug', 'info', 'warn', 'error'], line).toContain(entry.level);
      expect(Number.isNaN(Date.parse(String(entry.time))), line).toBe(false);
    }
    expect(lines.map((l) => (JSON.parse(l) as { msg: string }).msg)).toContain(`指标 metrics: ${metricsUrl}（DUBAN_METRICS_PORT）`);
    // Its campaign, which the suite terminates when done (with its duties).
    expect(stderr).toMatch(/督办批次已启动 campaign started: duban\/[^（"]+（/);
    expect(stdout).toBe('');
  });

  it('serves the SDK metrics and counts a sent message by channel and kind', async () => {
    // A duty whose reminder falls due now: its clock is set to 31 May 2022, 09:00 in Shanghai.
    const id = `ops/${randomUUID()}`;
    const base = dutyInput(id, '2022-05-31');
    const clockOffsetMs = Date.parse('2022-05-31T09:00:00+08:00') - Date.now();
    await client.workflow.start('dutyWorkflow', {
      taskQueue,
      workflowId: id,
      args: [dutyInput(id, '2022-05-31', { duty: { ...base.duty, kind: 'recurring', period: '2022-05' }, reminderOffsets: [0], clockOffsetMs, closeAt: '2022-06-30' })],
    });
    try {
      const outbox = join(dir, 'outbox.jsonl');
      const sent = await until('a message of the duty in the outbox', () => {
        if (!existsSync(outbox)) return undefined;
        return readFileSync(outbox, 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l) as OutgoingMessage)
          .find((m) => m.dutyId === id);
      }, 60_000);
      const text = await until('the message counted', async () => {
        const t = await (await fetch(metricsUrl)).text();
        return (sample(t, 'duban_messages_sent', { channel: 'outbox', kind: sent.kind }) ?? 0) >= 1 ? t : undefined;
      });
      expect(sample(text, 'duban_messages_sent', { channel: 'outbox', kind: sent.kind })).toBeGreaterThanOrEqual(1);
      // The SDK's own, on the same endpoint.
      expect(sample(text, 'temporal_activity_execution_latency_count', { activity_type: 'notify' })).toBeGreaterThanOrEqual(1);
      expect(text).toMatch(/^temporal_worker_task_slots_available\{/m);
    } finally {
      await client.workflow.getHandle(id).terminate('test over').catch(() => undefined);
    }
  });

  it('has the campaign duties by level', async () => {
    const text = await until('duban_duties', async () => {
      const t = await (await fetch(metricsUrl)).text();
      const total = ['none', 'blue', 'yellow', 'red', 'green'].reduce((n, level) => n + (sample(t, 'duban_duties', { level }) ?? 0), 0);
      return total === 1 ? t : undefined;
    }, 60_000);
    expect(sample(text, 'duban_duties', { level: 'green' })).toBe(0);
  });

  it('answers /healthz 200 with a polling worker, without a token and naming nobody', async () => {
    const url = /"msg":"督办看板 dashboard: (http:\/\/[^"（?]+)/.exec(stderr)?.[1];
    expect(url).toBeDefined();
    // The campaign runs on today's clock: whether it has sent a morning message yet depends on the hour the
    // test runs at. Whatever it has, /healthz says the outbox's newest (read before and after the call).
    const outbox = join(dir, 'outbox.jsonl');
    const before = newestMorning(outbox);
    const res = await fetch(`${url}healthz`);
    const body = (await res.json()) as Record<string, unknown>;
    const after = newestMorning(outbox);
    expect(res.status).toBe(200);
    expect(body).toMatchObject({ temporal: true, worker: true });
    expect(Object.keys(body).sort()).toEqual(['lastMorningRun', 'temporal', 'worker']);
    expect([before, after]).toContain(body.lastMorningRun);
  });
});

describe('/healthz', () => {
  it('is 503 when no worker polls the queue, and tells the last morning run from the outbox', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'duban-health-'));
    const outbox = join(dir, 'outbox.jsonl');
    const unit = '县乡村振兴局';
    const item = (task: number, kind: MessageKind, at: number): OutgoingMessage => ({
      key: `duban/ops/t${task}/${unit}/${kind}/${at}`,
      kind,
      dutyId: `duban/ops/t${task}/${unit}`,
      taskNumber: task,
      unit,
      toUnits: [unit],
      recipients: [{ unit, role: 'coordinators' }],
      level: kind === 'escalation' ? 'red' : 'blue',
      at,
      subject: '督办',
      text: `任务${task}`,
    });
    const morningOf = (items: OutgoingMessage[]) => morningMessage('duban/ops', groupItems(items)[0]!);
    // Friday's morning: a reminder and an escalation (kind 'morning'). Monday's: two reminders, so the message's
    // kind is 'reminder'. Then a lone message of a kind that is never grouped, sent at once, later that morning.
    const friday = Date.parse('2026-11-27T09:00:00+08:00');
    const monday = Date.parse('2026-11-30T09:00:00+08:00');
    const mixed = morningOf([item(1, 'reminder', friday), item(4, 'escalation', friday)]);
    const reminders = morningOf([item(1, 'reminder', monday), item(4, 'reminder', monday)]);
    expect([mixed.kind, reminders.kind]).toEqual(['morning', 'reminder']);
    const alone = item(4, 'extension-decision', monday + 3_600_000);
    writeFileSync(outbox, [mixed, reminders, alone].map((m) => `${JSON.stringify(m)}\n`).join(''));
    const client = new Client({ connection: await Connection.connect({ address: inject('devServerAddress') }) });
    const loaded = loadCampaign({ year: 2022 });
    const dashboard = await startDashboard({ client, campaignWorkflowId: 'none', plan: loaded.input.plan, calendar: loaded.input.calendar, outboxFile: outbox, taskQueue: uniqueQueue('nobody'), token: 'secret' }, '127.0.0.1', 0);
    try {
      const res = await fetch(`${dashboard.url}healthz`);
      expect(res.status).toBe(503);
      expect(await res.json()).toEqual({ temporal: true, worker: false, lastMorningRun: new Date(monday).toISOString() });
    } finally {
      await dashboard.close();
      await client.connection.close();
    }
  });

  it('is 503 with temporal false when Temporal does not answer', async () => {
    const port = await freePort();
    const client = new Client({ connection: Connection.lazy({ address: `127.0.0.1:${port}`, connectTimeout: 2_000 }) });
    const loaded = loadCampaign({ year: 2022 });
    const dashboard = await startDashboard({ client, campaignWorkflowId: 'none', plan: loaded.input.plan, calendar: loaded.input.calendar }, '127.0.0.1', 0);
    try {
      const res = await fetch(`${dashboard.url}healthz`);
      expect(res.status).toBe(503);
      expect(await res.json()).toEqual({ temporal: false, worker: false, lastMorningRun: null });
    } finally {
      await dashboard.close();
    }
  });
});

describe('logs', () => {
  it('are plain lines on a terminal and JSON lines elsewhere', () => {
    const written: string[] = [];
    const at = new Date('2026-11-30T01:00:00Z');
    const terminal = createLog({ isTTY: true, write: (t: string) => written.push(t) }, { now: () => at });
    terminal.info('worker 已就绪 ready');
    terminal.error('action page', { error: new Error('boom') });
    createLog({ write: (t: string) => written.push(t) }, { now: () => at }).warn('发件箱 outbox', { file: 'data/outbox.jsonl', level: 'not mine' });
    expect(written[0]).toBe('worker 已就绪 ready\n');
    expect(written[1]).toBe('[error] action page error=Error: boom\n');
    expect(JSON.parse(written[2]!)).toEqual({ time: '2026-11-30T01:00:00.000Z', level: 'warn', msg: '发件箱 outbox', file: 'data/outbox.jsonl' });
    expect(formatLogLine(true, at, 'error', 'x', { error: new Error('boom') })).toContain('"message":"boom"');
  });
});

describe('metrics configuration', () => {
  it('binds loopback for the worker and the bot, never for simulate, and refuses a bad port by name', () => {
    expect(metricsEndpoint('worker', {})).toEqual({ variable: 'DUBAN_METRICS_PORT', bindAddress: '127.0.0.1:9464', explicit: false });
    expect(metricsEndpoint('start', { DUBAN_METRICS_PORT: '9500' })?.bindAddress).toBe('127.0.0.1:9500');
    expect(metricsEndpoint('bot', {})).toEqual({ variable: 'DUBAN_BOT_METRICS_PORT', bindAddress: '127.0.0.1:9465', explicit: false });
    expect(metricsEndpoint('worker', { DUBAN_METRICS_PORT: 'off' })).toBeUndefined();
    expect(metricsEndpoint('worker', { DUBAN_METRICS_PORT: '0' })).toBeUndefined();
    expect(metricsEndpoint('simulate', { DUBAN_METRICS_PORT: '9464' })).toBeUndefined();
    expect(() => metricsEndpoint('worker', { DUBAN_METRICS_PORT: '94x' })).toThrow(/DUBAN_METRICS_PORT=94x/);
  });

  it('stops, saying which variable to change, when the port it was given is taken', async () => {
    const held = createServer();
    await new Promise<void>((r) => held.listen(0, '127.0.0.1', () => r()));
    const { port } = held.address() as AddressInfo;
    try {
      const run = spawnSync('node', [duban, 'worker'], { env: cleanEnv({ TEMPORAL_ADDRESS: '127.0.0.1:1', DUBAN_METRICS_PORT: String(port) }), encoding: 'utf8' });
      expect(run.status).toBe(1);
      expect(run.stderr).toContain(`127.0.0.1:${port} 已被占用`);
      expect(run.stderr).toContain('DUBAN_METRICS_PORT=off');
    } finally {
      held.close();
    }
  });
});

/** Holds a loopback port for the test; if something else holds it already, it is taken all the same. */
async function hold(port: number): Promise<() => Promise<void>> {
  const server = createServer();
  const held = await new Promise<boolean>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => (err.code === 'EADDRINUSE' ? resolve(false) : reject(err)));
    server.listen(port, '127.0.0.1', () => resolve(true));
  });
  return async () => {
    if (held) await new Promise((r) => server.close(r));
  };
}

describe('metrics on their default port', () => {
  it('when the port is taken, the worker and the bot run without metrics and warn which variable to set', async () => {
    const release = [await hold(9464), await hold(9465)];
    const started: { child: ChildProcess; stderr: () => string }[] = [];
    const run = (command: string, env: Record<string, string>) => {
      const child = spawn(process.execPath, [duban, command], { env: cleanEnv({ TEMPORAL_ADDRESS: inject('devServerAddress'), DUBAN_DATA_DIR: mkdtempSync(join(tmpdir(), 'duban-port-')), ...env }), stdio: ['ignore', 'pipe', 'pipe'] });
      let text = '';
      child.stderr!.on('data', (c: Buffer) => (text += c.toString()));
      started.push({ child, stderr: () => text });
      return started.at(-1)!;
    };
    try {
      const worker = run('worker', { TEMPORAL_TASK_QUEUE: uniqueQueue('port') });
      const bot = run('bot', { WECHATY_PUPPET: 'wechaty-puppet-mock', DUBAN_CAMPAIGN_ID: 'duban/none' });
      await until('the worker ready', () => worker.stderr().includes('worker 已就绪') || worker.child.exitCode !== null, 110_000);
      await until('the bot ready', () => bot.stderr().includes('微信机器人 worker 就绪') || bot.child.exitCode !== null, 60_000);
      for (const [p, port, variable] of [[worker, 9464, 'DUBAN_METRICS_PORT'], [bot, 9465, 'DUBAN_BOT_METRICS_PORT']] as const) {
        expect(p.child.exitCode, p.stderr()).toBeNull();
        const lines = p.stderr().trim().split('\n').map((l) => JSON.parse(l) as { level: string; msg: string });
        const warning = lines.find((l) => l.msg.includes(`127.0.0.1:${port} 已被占用`));
        expect(warning?.level).toBe('warn');
        expect(warning?.msg).toContain(`设置 ${variable} 为空闲端口`);
        expect(lines.some((l) => l.msg.startsWith('指标 metrics: http'))).toBe(false);
      }
    } finally {
      for (const s of started) await stop(s.child);
      for (const r of release) await r();
    }
  }, 180_000);
});

describe('the bot', () => {
  it('serves its worker metrics on DUBAN_BOT_METRICS_PORT', async () => {
    const port = await freePort();
    const child = spawn(process.execPath, [duban, 'bot'], {
      env: cleanEnv({
        TEMPORAL_ADDRESS: inject('devServerAddress'),
        WECHATY_PUPPET: 'wechaty-puppet-mock',
        DUBAN_CAMPAIGN_ID: 'duban/none',
        DUBAN_BOT_METRICS_PORT: String(port),
        DUBAN_DATA_DIR: mkdtempSync(join(tmpdir(), 'duban-bot-')),
      }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    try {
      await until('the bot ready', () => stderr.includes(`"msg":"指标 metrics: http://127.0.0.1:${port}/metrics（DUBAN_BOT_METRICS_PORT）"`), 60_000);
      const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      expect(text).toMatch(/^temporal_worker_start\{[^}]*task_queue="duban-wechat"/m);
    } finally {
      await stop(child);
    }
  });

  it('counts replies by intent, and not the group’s chatter it ignores', async () => {
    const intents: string[] = [];
    const ctx = {
      client: {} as Client,
      directory: { units: {}, supervisors: [], admins: [] } as never,
      campaignWorkflowId: 'none',
      metrics: { reply: (intent: string) => intents.push(intent) },
    };
    await answer(ctx, { id: 'wx1', name: '某人' }, '帮助', false);
    await answer(ctx, { id: 'wx1', name: '某人' }, '今天天气不错', true);
    await answer(ctx, { id: 'wx1', name: '某人' }, '大家辛苦了', true);
    expect(intents).toEqual(['help']);
  });
});

describe('duban’s counters in an activity', () => {
  it('are made once per meter, however often the activity counts', async () => {
    const made: string[] = [];
    const added: { name: string; tags: Record<string, unknown> }[] = [];
    const meter = {
      createCounter: (name: string) => {
        made.push(name);
        return { name, unit: '', description: '', add: (_: number, tags: Record<string, unknown> = {}) => added.push({ name, tags }), withTags: () => undefined };
      },
    } as unknown as MetricMeter;
    const email = { send: async () => ({ channel: 'email' as const, accepted: ['admin@example.cn'], rejected: [] }), close: () => undefined };
    const directory = { units: {}, supervisors: [], admins: [{ name: '管理员', email: 'admin@example.cn' }] } as never;
    const activities = createActivities({ channel: new RecordingChannel(), email, directory });
    // One alert: counted for email and for the outbox, in one activity execution.
    await new MockActivityEnvironment({}, { metricMeter: meter }).run(activities.alertAdmins, { key: 'alert/1', at: 0, text: '测试' });
    expect(added.map((a) => [a.name, a.tags.channel, a.tags.kind])).toEqual([
      ['duban_messages_sent', 'email', 'alert'],
      ['duban_messages_sent', 'outbox', 'alert'],
    ]);
    expect(made).toEqual(['duban_messages_sent']);
  });
});
