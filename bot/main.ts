/**
 * `duban bot`: the WeChat bot process. Its puppet comes from configuration (WECHATY_PUPPET, and
 * WECHATY_PUPPET_SERVICE_TOKEN / WECHATY_PUPPET_TOKEN when the puppet needs one); it prints the login QR code,
 * hosts a Temporal worker on its own task queue so every WeChat send runs in the process holding the login,
 * and a node-cron heartbeat alerts the administrators by email when the login is lost.
 */
import { join, resolve } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { connectOptions, temporalTargetFromEnv } from '../cli/connection';
import { NativeConnection, Runtime, Worker } from '@temporalio/worker';
import cron from 'node-cron';
import qrcode from 'qrcode-terminal';
import { WechatyBuilder, type Wechaty } from 'wechaty';
import { z } from 'zod';
import { createActivities } from '../activities';
import { createEmailSender, createSmtpTransport, smtpConfigFromEnv } from '../channels/email';
import { SendLedger } from '../channels/ledger';
import { DirectoryFile, directorySource, liveDirectory, type DirectoryFileOptions } from '../plan/directory-live';
import type { Directory } from '../plan/directory';
import { registerHandlers } from './bot';
import { runningCampaignIds } from '../campaigns/registry';
import { createWechatSender } from './sender';
import { publicLinks } from '../links/config';
import { createLog, type Log } from '../ops/log';
import { dubanMetrics, metricsEndpoint, metricsNote, type MetricsNote } from '../ops/metrics';

export const WECHAT_TASK_QUEUE = 'duban-wechat';

/** What to set and install when no puppet is configured: the bot cannot log in without one. */
export const NO_PUPPET =
  '未配置微信协议 (no WeChat puppet configured)：请设置 WECHATY_PUPPET 并安装对应的包，例如\n' +
  '  WECHATY_PUPPET=wechaty-puppet-service WECHATY_PUPPET_SERVICE_TOKEN=<服务商提供的 token>（npm install wechaty-puppet-service）\n' +
  '  WECHATY_PUPPET=wechaty-puppet-wechat4u（网页协议，可能被封禁；npm install wechaty-puppet-wechat4u）\n' +
  '然后运行 npx duban bot 扫码登录；主进程设置 DUBAN_WECHAT=1 后经微信发送。';

const botEnvSchema = z.object({
  WECHATY_PUPPET: z.string({ error: NO_PUPPET }).trim().min(1, NO_PUPPET),
  WECHATY_PUPPET_SERVICE_TOKEN: z.string().optional(),
  WECHATY_PUPPET_TOKEN: z.string().optional(),
  DUBAN_WECHAT_INTERVAL_MS: z.coerce.number().int().min(0).default(1500),
  DUBAN_HEARTBEAT_CRON: z.string().default('*/5 * * * *'),
});

/** The first thing wrong with the bot's configuration, in words that say what to do; undefined when none. */
export function botConfigProblem(env: NodeJS.ProcessEnv): string | undefined {
  const parsed = botEnvSchema.safeParse(env);
  if (parsed.success) return undefined;
  const issue = parsed.error.issues[0];
  return issue?.path[0] === 'WECHATY_PUPPET' ? NO_PUPPET : `${String(issue?.path[0])}: ${issue?.message}`;
}

export interface HeartbeatDeps {
  bot: Wechaty;
  alert: (text: string, key: string) => Promise<void>;
  now?: () => Date;
}

/** Checks the login; alerts once per lost-login episode. Returns the check so tests can run it directly. */
export function heartbeat({ bot, alert, now = () => new Date() }: HeartbeatDeps): () => Promise<boolean> {
  let alerted = false;
  return async () => {
    const ok = bot.isLoggedIn;
    if (ok) alerted = false;
    else if (!alerted) {
      alerted = true;
      const at = now().toISOString();
      await alert(`微信机器人已掉线（${at}）。在重新扫码登录之前，提醒将改由邮件发送。请运行 duban bot 并扫码。`, `heartbeat/${at}`);
    }
    return ok;
  };
}

/**
 * The directory the bot reads, as the worker does (cli/main.ts runWorker): data/directory.yaml once a clerk has
 * uploaded one, else DUBAN_DIRECTORY or the seed; read again when the file changes, so a coordinator added on the
 * dashboard is recognised at their next reply without a restart (the bot holds a login that a restart may lose).
 * A changed file that does not validate is logged once, naming its line and column, and the last good directory
 * stays in use: a typo must not make the bot refuse every coordinator. Only a first read that fails stops the start.
 * `o`: the check interval (default a second, as the worker) and clock, for tests.
 */
export function botDirectory(env: NodeJS.ProcessEnv, log: Pick<Log, 'info' | 'warn'>, o: Pick<DirectoryFileOptions, 'checkEveryMs' | 'now'> = {}): Directory {
  const dataDir = resolve(env.DUBAN_DATA_DIR ?? 'data');
  const base = env.DUBAN_DIRECTORY ?? join(__dirname, '..', 'seeds', 'dazhu-units.yaml');
  const file = new DirectoryFile(() => directorySource(dataDir, base), {
    checkEveryMs: 1_000,
    ...o,
    onReload: (f) => log.info(`单位通讯录已重新读取 directory reloaded: ${f}`),
    onInvalid: (err, kept) => log.warn(`单位通讯录文件有误，继续使用上一份有效的（${kept}）directory file invalid, the last good one kept: ${err.message}`),
  });
  return liveDirectory(file);
}

/** `metrics`: what the runtime's install did about metrics (cli/main.ts), for the start-up line. */
export async function botCommand(metrics: MetricsNote = metricsNote('bot', metricsEndpoint('bot'))): Promise<number> {
  const log = createLog();
  const env = botEnvSchema.safeParse(process.env);
  if (!env.success) throw new Error(botConfigProblem(process.env) ?? env.error.issues.map((i) => `${String(i.path[0])}: ${i.message}`).join('; '));
  const directory = botDirectory(process.env, log);
  const token = env.data.WECHATY_PUPPET_SERVICE_TOKEN ?? env.data.WECHATY_PUPPET_TOKEN;
  const bot = WechatyBuilder.build({
    name: 'duban',
    puppet: env.data.WECHATY_PUPPET as never,
    ...(token ? { puppetOptions: { token } } : {}),
  });
  // The same server, namespace, TLS and API key as the worker (an existing cluster or Temporal Cloud).
  const target = temporalTargetFromEnv();
  const namespace = target.namespace;
  const client = new Client({ connection: await Connection.connect(connectOptions(target)), namespace });
  // One campaign when DUBAN_CAMPAIGN_ID names it; else every running campaign of the namespace, looked up at each
  // reply (a campaign started or stopped meanwhile is seen at once).
  const campaignWorkflowId = process.env.DUBAN_CAMPAIGN_ID;
  registerHandlers(
    bot,
    {
      client,
      directory,
      campaignWorkflowId: campaignWorkflowId ?? '',
      ...(campaignWorkflowId ? {} : { campaigns: () => runningCampaignIds(client, target.taskQueue) }),
      metrics: dubanMetrics(Runtime.instance().metricMeter),
    },
    {
      onScan: (code, status) => {
        process.stdout.write(`请用微信扫码登录 (scan to log in), status ${status}\n`);
        qrcode.generate(code, { small: true });
      },
      log: (line) => log.info(line),
    },
  );
  await bot.start();
  const ledger = new SendLedger(join(process.env.DUBAN_DATA_DIR ?? 'data', 'send-ledger.sqlite'));
  const smtp = smtpConfigFromEnv();
  const email = smtp ? createEmailSender({ transport: createSmtpTransport(smtp), from: smtp.from, ledger }) : undefined;
  const activities = createActivities({
    directory,
    wechat: createWechatSender({ bot, directory, ledger, intervalMs: env.data.DUBAN_WECHAT_INTERVAL_MS, ...(publicLinks() ? { links: publicLinks()! } : {}) }),
    ...(email ? { email } : {}),
  });
  const worker = await Worker.create({
    connection: await NativeConnection.connect(connectOptions(target)),
    namespace,
    taskQueue: WECHAT_TASK_QUEUE,
    // Sends go one at a time through the throttle anyway; few in flight keeps each within its timeout.
    maxConcurrentActivityTaskExecutions: 4,
    activities: { deliverWechat: activities.deliverWechat, alertAdminsWechat: activities.alertAdminsWechat },
  });
  const check = heartbeat({ bot, alert: (text, key) => activities.alertAdmins({ key, at: Date.now(), text }) });
  const task = cron.schedule(env.data.DUBAN_HEARTBEAT_CRON, () => {
    check().catch((err: unknown) => log.error(`heartbeat failed: ${String(err)}`));
  });
  log.info(`微信机器人 worker 就绪，任务队列 ${WECHAT_TASK_QUEUE}`);
  if (metrics.warn) log.warn(metrics.line);
  else log.info(metrics.line);
  await worker.run();
  await task.stop();
  await bot.stop();
  return 0;
}
