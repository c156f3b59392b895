/**
 * The chat platforms the worker process hears replies on, started from the environment: each is on when its
 * settings are there (docs/operating.md lists them) and says so at start-up. WeChat stays its own process
 * (`duban bot`: the login lives there); everything here shares the one reply path (bot/replies.ts `answer`).
 */
import type { ReplyContext } from '../bot/replies';
import { dingtalkConfigFromEnv, startDingtalkFromEnv } from './dingtalk-stream';
import { startWecomFromEnv, wecomConfigFromEnv, type WecomRobot } from './wecom-robot';
import { startWecomCallbackFromEnv, wecomCallbackConfigFromEnv, WecomCallbackError } from './wecom-callback';
import { smtpConfigFromEnv } from '../channels/email';
import { imapConfigFromEnv, startMailRepliesFromEnv } from '../channels/mail-replies';
import { wecomConfigured } from '../channels/wecom';
import type { Directory } from '../plan/directory';
import type { SendLedger } from '../channels/ledger';
import type { Log } from '../ops/log';

export interface RunningPlatforms {
  /** What is on, in the start-up's words. */
  lines: string[];
  /** The WeCom smart robot's long connection, when on: the worker's activities send morning cards through it. */
  wecomRobot?: WecomRobot;
  stop(): Promise<void>;
}

export interface ChatPlatformOptions {
  /** The process's send ledger: only replies to mail this deployment sent act. */
  sendLedger?: SendLedger;
  /** Where the mailbox's read UIDs are kept (default DUBAN_DATA_DIR or data/). */
  dataDir?: string;
  log?: Log;
}

/**
 * WeCom gives a callback-mode smart robot no way to post first (文档 101138: a response_url comes only with a message
 * or a click, one POST within an hour), so the morning messages that people reply to must go by another channel:
 * a group robot webhook in the directory (a unit's or the county's), email, or WeChat. With none of them a county
 * would hear replies to messages nobody sent; the start is refused naming what to set.
 */
function refuseCallbackWithoutPost(env: NodeJS.ProcessEnv, directory: Directory): void {
  if (wecomConfigured(directory) || smtpConfigFromEnv(env) || env.DUBAN_WECHAT === '1') return;
  throw new WecomCallbackError(
    'NO_POST',
    '已设置 DUBAN_WECOM_CALLBACK_TOKEN（企业微信智能机器人 URL 回调），但回调模式的机器人不能主动发消息，每天的督办消息无处可发：' +
      '请在通讯录为各单位（或全县群）填写 wecomWebhook（群机器人），或设置 DUBAN_SMTP_URL 发邮件，或改用长连接（DUBAN_WECOM_BOT_ID、DUBAN_WECOM_BOT_SECRET，机器人可发督办卡片）' +
      ' (callback mode cannot post first: set a wecomWebhook in the directory, DUBAN_SMTP_URL, or the long connection)',
  );
}

export async function startChatPlatforms(ctx: ReplyContext, env: NodeJS.ProcessEnv = process.env, options: ChatPlatformOptions = {}): Promise<RunningPlatforms> {
  const lines: string[] = [];
  const stops: (() => Promise<void>)[] = [];
  let wecomRobot: WecomRobot | undefined;
  const stopAll = async () => {
    for (const s of stops.reverse()) await s().catch(() => undefined);
  };
  // Every setting is checked before anything connects: a malformed one stops the start with nothing left running.
  dingtalkConfigFromEnv(env);
  const longConnection = wecomConfigFromEnv(env);
  if (wecomCallbackConfigFromEnv(env) && !longConnection) refuseCallbackWithoutPost(env, ctx.directory);
  imapConfigFromEnv(env);
  try {
    const dingtalk = await startDingtalkFromEnv(ctx, env);
    if (dingtalk) {
      lines.push('钉钉机器人（Stream 模式）：已连接，可接收回复 (DingTalk Stream connected)');
      stops.push(() => dingtalk.stop());
    } else lines.push('未配置钉钉：设置 DUBAN_DINGTALK_CLIENT_ID、DUBAN_DINGTALK_CLIENT_SECRET 后可在钉钉回复 (no DingTalk)');
    // AUTH_REFUSED is thrown: wrong credentials are the operator's to fix, and a worker that starts anyway would
    // look as if it heard WeCom replies.
    const wecom = await startWecomFromEnv(ctx, env);
    if (wecom) {
      wecomRobot = wecom;
      stops.push(() => wecom.stop());
      lines.push(
        wecom.authentications > 0
          ? '企业微信智能机器人（长连接）：已连接，可接收回复 (WeCom smart robot connected)'
          : '企业微信智能机器人（长连接）：暂未连上，后台重试中；请检查网络和 DUBAN_WECOM_WS_URL (WeCom smart robot not connected yet, retrying)',
      );
    } else lines.push('未配置企业微信智能机器人：设置 DUBAN_WECOM_BOT_ID、DUBAN_WECOM_BOT_SECRET 后可在企业微信回复 (no WeCom smart robot)');
    const callback = await startWecomCallbackFromEnv(ctx, env, options.log ? { log: options.log } : {});
    if (callback) {
      stops.push(() => callback.stop());
      lines.push(`企业微信智能机器人（URL 回调）：在 ${callback.url} 接收回调，请在管理后台把接收消息地址指向它（经反向代理）(WeCom callback mode listening)`);
      if (!wecom) lines.push('企业微信智能机器人（URL 回调）不能主动发消息：每天的督办消息经群机器人（通讯录 wecomWebhook）或邮件发出，联络员在群里 @机器人 回复 (callback mode: morning messages go by group robot or email)');
      // Heard by callback: the long connection's 「未配置」 line would say WeCom replies are off.
      if (!wecom) lines.splice(lines.findIndex((l) => l.startsWith('未配置企业微信智能机器人')), 1);
    }
    const mail = await startMailRepliesFromEnv({ reply: ctx, env, ...options });
    if (mail) {
      lines.push('邮件回复：已连接回复邮箱，联络员回复督办邮件即可办理 (email replies: mailbox connected)');
      stops.push(() => mail.stop());
    } else lines.push('未配置邮件回复：设置 DUBAN_IMAP_URL（或 DUBAN_IMAP_HOST/USER/PASSWORD）后，联络员可直接回复督办邮件 (no reply mailbox)');
  } catch (err) {
    // What started before the failure is stopped: a failed start leaves nothing connected.
    await stopAll();
    throw err;
  }
  return { lines, ...(wecomRobot ? { wecomRobot } : {}), stop: stopAll };
}
