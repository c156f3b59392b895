/** The `duban` command: one entry point, one function per sub-command. */
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, makeTelemetryFilterString } from '@temporalio/worker';
import { RecordingChannel } from '../activities/outbox';
import { startDevServer, startTestServer, type RunningServer } from '../servers/processes';
import { startDashboard } from '../dashboard/server';
import { ensureChromium, ensureTemporalCli, ensureTestServer } from '../servers/tools';
import { CAMPAIGN_WORKER_CACHE, campaignQueueOf, createWorker } from '../worker';
import { createActivities } from '../activities';
import { loadCampaign, SEED_DIRECTORY } from './campaign-input';
import { temporalTargetFromEnv, type TemporalTarget } from './connection';
import { helpFor, HELP } from './help';
import { botCommand, WECHAT_TASK_QUEUE } from '../bot/main';
import { createEmailSender, createSmtpTransport, smtpConfigFromEnv } from '../channels/email';
import { SendLedger } from '../channels/ledger';
import { dataDir, linkSecretFile, publicLinks } from '../links/config';
import { channelSettingsFromEnv, writeChannelSettings } from '../campaigns/deployment';
import { startChatPlatforms } from '../chat/start';
import type { WecomRobot } from '../chat/wecom-robot';
import { createWecomCardSender } from '../channels/wecom-card-sender';
import { runningCampaignIds } from '../campaigns/registry';
import { rotateLinkSecret } from '../links/secret';
import { clusterDown, clusterUp, HISTORY_SHARDS } from '../servers/cluster';
import { LinkUses } from '../links/uses';
import { unitLinks } from '../links/actions';
import { createWecomSender, wecomConfigured } from '../channels/wecom';
import type { OutgoingMessage } from '../workflows/types';
import { DirectoryFile, directorySource, liveDirectory } from '../plan/directory-live';
import type { Directory } from '../plan/directory';
import { planCommand } from './plan';
import { calendarCommand } from './calendar';
import { replyCommand } from './reply';
import { simulateCommand } from './simulate';
import { createLog, sdkJsonLog, wantsJson } from '../ops/log';
import { dubanMetrics, metricsEndpoint, metricsNote, type MetricsNote } from '../ops/metrics';
import { watchDuties } from '../ops/watch-duties';
import { directoryCommand } from './directory';
import { ledgerCommand } from './ledger';
import { campaignCommand, deskCommand, importCommand, startCampaignWorkflow } from './campaign';

type Command = (args: string[]) => Promise<number>;

const log = createLog();
/** The long-running commands (start, worker) log their lines: JSON off a terminal. The others print them. */
let logging = false;
/** What installRuntime did about metrics, for the worker's and the bot's start-up lines. */
let metricsStatus: MetricsNote = { line: '', warn: false };

function say(line: string) {
  if (logging) log.info(line);
  else process.stdout.write(`${line}\n`);
}

/** Connects to the configured cluster, or starts the embedded dev server with its SQLite file. */
async function connectTemporal(target: TemporalTarget): Promise<{ connection: NativeConnection; address: string; server?: RunningServer }> {
  let server: RunningServer | undefined;
  let address = target.address;
  if (!address) {
    const dir = dataDir();
    say('启动内置 Temporal 开发服务器… (starting the embedded Temporal dev server)');
    server = await startDevServer({
      dbFile: join(dir, 'temporal.sqlite'),
      port: Number(process.env.DUBAN_TEMPORAL_PORT ?? 7233),
      uiPort: Number(process.env.DUBAN_TEMPORAL_UI_PORT ?? 8233),
      namespace: target.namespace,
    });
    address = server.address;
    say(`  Temporal 服务器 server: ${server.address}（${server.startMs} ms 就绪 ready），数据 data: ${join(dir, 'temporal.sqlite')}`);
    say(`  Temporal Web UI: ${server.uiUrl}`);
  }
  const connection = await NativeConnection.connect({
    address,
    ...(target.apiKey ? { apiKey: target.apiKey } : {}),
    ...(target.tls !== undefined ? { tls: target.tls } : {}),
  });
  return { connection, address, ...(server ? { server } : {}) };
}

const setup: Command = async () => {
  const t0 = Date.now();
  const cli = await ensureTemporalCli();
  const t1 = Date.now();
  const ts = await ensureTestServer();
  const t2 = Date.now();
  say(`Temporal CLI: ${cli} (${t1 - t0} ms)`);
  say(`Java test server classpath: ${ts.classpath} (${t2 - t1} ms)`);
  if (!process.argv.includes('--no-browser')) say(`Chromium: ${await ensureChromium()} (${Date.now() - t2} ms)`);
  if (process.argv.includes('--measure-start')) {
    const dev = await startDevServer();
    say(`dev server start: ${dev.startMs} ms`);
    await dev.stop();
    const test = await startTestServer();
    say(`test server (JVM) start: ${test.startMs} ms`);
    await test.stop();
  }
  return 0;
};

function untilSignal(): Promise<void> {
  return new Promise((resolvePromise) => {
    process.once('SIGINT', () => resolvePromise());
    process.once('SIGTERM', () => resolvePromise());
  });
}

const server: Command = async () => {
  const dir = dataDir();
  const dev = await startDevServer({ dbFile: join(dir, 'temporal.sqlite'), port: 7233, uiPort: 8233 });
  say(`Temporal 开发服务器 dev server: ${dev.address} · Web UI: ${dev.uiUrl}（Ctrl-C 停止 stop）`);
  await untilSignal();
  await dev.stop();
  return 0;
};

/**
 * Starts the configured campaign unless it is already running (then it simply continues), and its dashboard.
 * `directory` is the one runWorker loaded: read again here, an .xlsx would block the running worker's event loop.
 */
async function startCampaign(address: string, target: TemporalTarget, outbox: string, directory: Directory): Promise<() => Promise<void>> {
  const year = Number(process.env.DUBAN_YEAR ?? new Date().getFullYear());
  const loaded = loadCampaign({
    year,
    ...(process.env.DUBAN_PLAN ? { plan: process.env.DUBAN_PLAN } : {}),
    ...(process.env.DUBAN_NOTICE ? { notice: process.env.DUBAN_NOTICE } : {}),
    directory,
    ...(process.env.DUBAN_CALENDAR ? { calendarFile: process.env.DUBAN_CALENDAR } : {}),
  });
  for (const w of loaded.warnings) say(w);
  if (loaded.yearNote) say(loaded.yearNote);
  const connection = await Connection.connect({
    address,
    ...(target.apiKey ? { apiKey: target.apiKey } : {}),
    ...(target.tls !== undefined ? { tls: target.tls } : {}),
  });
  const client = new Client({ connection, namespace: target.namespace });
  // Duties carry search attributes only where the server knows them (a server refuses a workflow that sets
  // unknown ones): registered when missing, left off with a note when the server will not have them. The
  // campaign hands its morning messages to the deployment's desk, with the campaigns `duban campaign start` adds.
  const started = await startCampaignWorkflow(client, target, loaded, { main: true });
  const workflowId = started.workflowId;
  for (const n of started.notes) say(n);
  say(started.started ? `督办批次已启动 campaign started: ${workflowId}（${loaded.input.plan.tasks.length} 项任务）` : `督办批次继续运行 campaign continues: ${workflowId}`);
  const dashboard = await startDashboard(
    {
      client,
      campaignWorkflowId: workflowId,
      plan: loaded.input.plan,
      calendar: loaded.input.calendar,
      outboxFile: outbox,
      taskQueue: target.taskQueue,
      ...(process.env.DUBAN_DASHBOARD_TOKEN ? { token: process.env.DUBAN_DASHBOARD_TOKEN } : {}),
      ...(publicLinks()
        ? {
            actions: {
              directory,
              secret: publicLinks()!.secret,
              uses: new LinkUses(join(dataDir(), 'link-uses.sqlite')),
              secureCookie: publicLinks()!.publicUrl.startsWith('https://'),
            },
          }
        : {}),
    },
    process.env.DUBAN_DASHBOARD_HOST ?? '127.0.0.1',
    Number(process.env.DUBAN_DASHBOARD_PORT ?? 8080),
  );
  say(`督办看板 dashboard: ${dashboard.url}${process.env.DUBAN_DASHBOARD_TOKEN ? '?token=…' : ''}（健康检查 health: ${dashboard.url}healthz）`);
  // duban_duties: this process knows the campaign, so it reads the levels from the campaign's ledger.
  const stopDuties = watchDuties({ client, campaignWorkflowId: workflowId, metrics: dubanMetrics(Runtime.instance().metricMeter), onError: (err) => log.debug(`duban_duties: ${String(err)}`) });
  return async () => {
    stopDuties();
    await dashboard.close();
    await client.connection.close();
  };
}

async function runWorker(withEmbeddedServer: boolean): Promise<number> {
  logging = true;
  const target = temporalTargetFromEnv();
  if (!withEmbeddedServer && !target.address) {
    throw new Error('duban worker 需要 TEMPORAL_ADDRESS 指向已运行的集群 (set TEMPORAL_ADDRESS to a running cluster)');
  }
  const { connection, address, server: dev } = await connectTemporal(target);
  const outbox = join(dataDir(), 'outbox.jsonl');
  // Read again on use when the file changes: a directory uploaded on the dashboard reaches this running worker's next
  // message; a spoiled one is logged and the last good one kept (plan/directory-live.ts).
  const directoryFile = new DirectoryFile(() => directorySource(dataDir(), process.env.DUBAN_DIRECTORY ?? SEED_DIRECTORY), {
    checkEveryMs: 1_000,
    onReload: (file) => say(`单位通讯录已重新读取 directory reloaded: ${file}`),
    onInvalid: (err, kept) => log.warn(`单位通讯录文件有误，继续使用上一份有效的（${kept}）directory file invalid, the last good one kept: ${err.message}`),
  });
  const directory = liveDirectory(directoryFile);
  const smtp = smtpConfigFromEnv();
  const ledger = new SendLedger(join(dataDir(), 'send-ledger.sqlite'));
  const email = smtp ? createEmailSender({ transport: createSmtpTransport(smtp), from: smtp.from, ledger }) : undefined;
  const signer = publicLinks();
  const wecom = wecomConfigured(directory)
    ? createWecomSender({
        directory,
        ledger,
        ...(process.env.DUBAN_WECOM_API ? { baseUrl: process.env.DUBAN_WECOM_API } : {}),
        ...(signer ? { linksFor: (msg: OutgoingMessage, unit: string) => unitLinks(signer, directory, msg, unit) } : {}),
      })
    : undefined;
  // The smart robot connects after the workers exist (replies need them); its morning cards go once it is up, and a
  // worker that does not hear replies (no robot here) sends those messages by the other channels.
  const heard: { wecomRobot?: WecomRobot } = {};
  const wecomCards = createWecomCardSender({ directory, ledger, robot: () => heard.wecomRobot });
  const activities = createActivities({
    channel: new RecordingChannel(outbox),
    directory,
    ...(email ? { email } : {}),
    ...(signer ? { links: signer } : {}),
    ...(wecom ? { wecom } : {}),
    wecomCards,
  });
  const worker = await createWorker({ connection, namespace: target.namespace, taskQueue: target.taskQueue, activities });
  // What campaigns started from the CLI use, whatever the clerk's shell says (campaigns/deployment.ts).
  writeChannelSettings(dataDir(), channelSettingsFromEnv(process.env));
  // Campaigns on a queue of their own, with a cache of their own (worker/index.ts campaignQueueOf).
  const campaigns = await createWorker({
    connection,
    namespace: target.namespace,
    taskQueue: campaignQueueOf(target.taskQueue),
    activities,
    maxCachedWorkflows: CAMPAIGN_WORKER_CACHE,
  });
  say(`worker 已就绪 ready · 任务队列 task queue: ${target.taskQueue}（督办批次 campaigns: ${campaignQueueOf(target.taskQueue)}）· 命名空间 namespace: ${target.namespace}`);
  say(`发件箱 outbox: ${outbox}`);
  if (metricsStatus.warn) log.warn(metricsStatus.line);
  else say(metricsStatus.line);
  if (!email) say('未配置邮件：设置 DUBAN_SMTP_URL 或 DUBAN_SMTP_HOST/PORT/USER/PASSWORD、DUBAN_MAIL_FROM 后发送邮件 (no SMTP configured)');
  else say('邮件已配置 (SMTP configured)');
  const links = publicLinks();
  if (links) say(`办理链接 action links: ${links.publicUrl}/a/…（密钥 secret: ${linkSecretFile()}；更换 rotate: npx duban links rotate）`);
  else say('邮件中没有办理链接：设置 DUBAN_PUBLIC_URL（单位能访问到的看板地址，如县政务内网地址）后，每封邮件带「确认收到」「报办结」「申请延期」按钮 (no DUBAN_PUBLIC_URL: messages carry no action links)');
  if (wecom) say('企业微信群机器人：已配置（单位 wecomWebhook 或全县群 wecomWebhook），联络员在群内收到的消息不再另发邮件 (WeCom robots configured)');
  if (process.env.DUBAN_WECHAT === '1') say(`微信：由 duban bot 进程发送（任务队列 ${WECHAT_TASK_QUEUE}）`);
  else say('未启用微信：设置 DUBAN_WECHAT=1 并运行 `npx duban bot`（WECHATY_PUPPET=…）(WeChat not enabled)');
  say('Ctrl-C 停止 (stop)');
  // Replies by WeCom, DingTalk and email are heard here, on the one reply path (chat/start.ts).
  const replyConnection = await Connection.connect({ address, ...(target.apiKey ? { apiKey: target.apiKey } : {}), ...(target.tls !== undefined ? { tls: target.tls } : {}) });
  const replyClient = new Client({ connection: replyConnection, namespace: target.namespace });
  // One process hears replies: a second worker would take the WeCom robot over from the first, and read the
  // mailbox with a send ledger that knows none of the first one's mail. `npm start` does; an extra `duban worker`
  // only with DUBAN_REPLIES=on.
  const hears = process.env.DUBAN_REPLIES === 'on' || (process.env.DUBAN_REPLIES !== 'off' && withEmbeddedServer);
  const platforms = hears
    ? await startChatPlatforms({ client: replyClient, directory, campaignWorkflowId: '', campaigns: () => runningCampaignIds(replyClient, target.taskQueue) }, process.env, { sendLedger: ledger, dataDir: dataDir() })
    : { lines: ['本进程不接收企业微信、钉钉和邮件回复（由 npm start 的进程接收；设置 DUBAN_REPLIES=on 改由本进程接收）(replies heard elsewhere)'], stop: async () => undefined };
  if (platforms.wecomRobot) heard.wecomRobot = platforms.wecomRobot;
  for (const line of platforms.lines) say(line);
  // On Ctrl-C the platforms stop hearing at once and answer what they hold while the workers still run (a reply
  // heard after the workers drained would wait on an Update no worker takes).
  const stopPlatforms = () => void platforms.stop();
  process.once('SIGINT', stopPlatforms);
  process.once('SIGTERM', stopPlatforms);
  // The SDK's runtime shuts the worker down on SIGINT/SIGTERM; run() returns once it has drained.
  const running = Promise.all([worker.run(), campaigns.run()]);
  const stopCampaign = withEmbeddedServer || process.env.DUBAN_START_CAMPAIGN === '1' ? await startCampaign(address, target, outbox, directory) : undefined;
  await running;
  await platforms.stop();
  await replyConnection.close();
  await stopCampaign?.();
  await connection.close();
  await dev?.stop();
  return 0;
}

export const commands: Record<string, Command> = {
  start: () => runWorker(true),
  worker: () => runWorker(false),
  bot: () => botCommand(metricsStatus),
  plan: planCommand,
  simulate: simulateCommand,
  reply: replyCommand,
  calendar: calendarCommand,
  directory: directoryCommand,
  ledger: ledgerCommand,
  import: importCommand,
  campaign: campaignCommand,
  desk: deskCommand,
  cluster: async (args) => {
    const dir = dataDir();
    if (args[0] === 'up') {
      const c = await clusterUp(dir, (line) => say(line));
      say(`Temporal 集群已就绪 cluster ready: TEMPORAL_ADDRESS=${c.address}（frontend/history/matching/worker 四个进程，${HISTORY_SHARDS} 个历史分片，PostgreSQL 127.0.0.1:${c.ports.postgres}，指标 metrics http://127.0.0.1:${c.ports.metrics}/metrics）`);
      return 0;
    }
    if (args[0] === 'down') {
      await clusterDown(dir, (line) => say(line));
      return 0;
    }
    process.stderr.write('用法 usage: duban cluster up|down\n');
    return 2;
  },
  links: async (args) => {
    if (args[0] !== 'rotate') {
      process.stderr.write('用法 usage: duban links rotate\n');
      return 2;
    }
    rotateLinkSecret(linkSecretFile());
    say(`链接密钥已更换 link secret rotated: ${linkSecretFile()}。此前发出的办理链接一律失效（打开时页面会说明）；运行中的进程立即使用新密钥。`);
    return 0;
  },
  setup,
  server,
  help: async () => {
    say(HELP);
    return 0;
  },
};

/** Commands that run Temporal workers; only these start the SDK's native runtime. */
const TEMPORAL_COMMANDS = new Set(['start', 'worker', 'bot', 'simulate']);

function installRuntime(command: string): void {
  const level = process.env.DUBAN_LOG_LEVEL === 'debug' ? 'DEBUG' : 'WARN';
  // Prometheus on loopback for the worker and the bot (SDK metrics and duban's counters); never for simulate.
  const metrics = metricsEndpoint(command);
  // The SDK's logger writes to standard error; the native core's own log lines are forwarded to it, since by
  // themselves they go to standard output, among `--json` lines. Forwarding keeps the process alive, so
  // commands that need no worker (plan, setup, help) do not install the runtime at all.
  const install = (served: typeof metrics) =>
    Runtime.install({
      logger: new DefaultLogger(level, wantsJson(process.stderr) ? sdkJsonLog() : undefined),
      telemetryOptions: {
        logging: { forward: {}, filter: makeTelemetryFilterString({ core: level, other: level }) },
        ...(served ? { metrics: { prometheus: { bindAddress: served.bindAddress } } } : {}),
      },
    });
  try {
    install(metrics);
    metricsStatus = metricsNote(command, metrics);
  } catch (err) {
    if (!metrics || !/address already in use/i.test(String(err))) throw err;
    if (metrics.explicit) {
      throw new Error(`指标端口 ${metrics.bindAddress} 已被占用 (metrics port in use)：请设置 ${metrics.variable} 为另一个端口（同一台机器上的第二个进程），或 ${metrics.variable}=off 关闭指标`, { cause: err });
    }
    // Only the default port, which the operator never chose: reminders matter more than metrics. A failed
    // install leaves no runtime behind, so it is installed again without the exporter.
    install(undefined);
    metricsStatus = metricsNote(command, undefined, metrics);
  }
}

export async function main(argv: string[]): Promise<number> {
  const [name = 'help', ...rest] = argv;
  const command = name === '--help' || name === '-h' ? commands.help : commands[name];
  if (!command) {
    process.stderr.write(`未知命令 unknown command: ${name}\n\n${HELP}`);
    return 2;
  }
  // `duban reply --help`: the command's own usage, and nothing else done (no server, no file).
  const help = helpFor(argv) ?? (rest.includes('--help') || rest.includes('-h') ? HELP : undefined);
  if (help !== undefined) {
    process.stdout.write(help);
    return 0;
  }
  try {
    if (TEMPORAL_COMMANDS.has(name)) installRuntime(name);
    return await command(rest);
  } catch (err) {
    if (logging) log.error(`duban ${name}: ${err instanceof Error ? err.message : String(err)}`);
    else process.stderr.write(`duban ${name}: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}
