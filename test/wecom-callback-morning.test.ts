/**
 * Morning messages when the WeCom smart robot runs in callback (URL) mode (issue #25). WeCom gives a callback robot no
 * way to post first (文档 101138: a response_url only with a message or a click, one POST within an hour), so the
 * morning message goes by the unit's group robot webhook (test/wecom-server.ts) and the coordinator's reply comes
 * back through the callback (test/wecom-callback-peer.ts), on a real campaign of the seed plan; a callback-mode setup
 * with nothing that can post is refused at start, naming what to set.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../activities';
import type { ReplyContext } from '../bot/replies';
import { startChatPlatforms, type RunningPlatforms } from '../chat/start';
import { WecomCallbackError } from '../chat/wecom-callback';
import type { EmailSender } from '../channels/email';
import { SendLedger } from '../channels/ledger';
import { createWecomSender } from '../channels/wecom';
import { createWecomCardSender } from '../channels/wecom-card-sender';
import { loadCampaign } from '../cli/campaign-input';
import type { Directory } from '../plan/directory';
import { loadDirectory } from '../plan/files';
import { statusQuery } from '../workflows/messages';
import { morningMessage } from '../workflows/morning';
import type { OutgoingMessage } from '../workflows/types';
import { startBotCampaign, type BotCampaign } from './bot-campaign';
import { devServerEnv } from './env';
import { until } from './until';
import { callbackText, TEST_CALLBACK, wecomPeer } from './wecom-callback-peer';
import { startWecomServer, type WecomServer } from './wecom-server';

const env = { DUBAN_WECOM_CALLBACK_TOKEN: TEST_CALLBACK.token, DUBAN_WECOM_CALLBACK_AES_KEY: TEST_CALLBACK.encodingAESKey, DUBAN_WECOM_CALLBACK_PORT: '0' };
const seed = loadDirectory(join(__dirname, '..', 'seeds', 'dazhu-units.yaml'));
const unit = '县以工代赈中心';
const userid = 'wecom-yigong-cbm';
const person = seed.units[unit]!.coordinators[0]!;
const key = 'cb-morning-robot-key-0001';
/** The unit's coordinator on WeCom, and the unit's group robot. */
const directory: Directory = {
  ...seed,
  units: { ...seed.units, [unit]: { ...seed.units[unit]!, wecomWebhook: key, coordinators: [{ ...person, wecom: userid }, ...seed.units[unit]!.coordinators.slice(1)] } },
};

describe('callback mode with nothing that can post', () => {
  // Refused before anything listens or connects: the client is never used.
  const ctx = { client: undefined, directory: seed, campaignWorkflowId: '', now: () => Date.now() } as unknown as ReplyContext;

  it('is refused at start, naming the settings that would give it a way to post', async () => {
    const err = await startChatPlatforms(ctx, env).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WecomCallbackError);
    expect((err as WecomCallbackError).code).toBe('NO_POST');
    expect((err as Error).message).toMatch(/DUBAN_WECOM_CALLBACK_TOKEN.*不能主动发消息.*wecomWebhook.*DUBAN_SMTP_URL.*DUBAN_WECOM_BOT_ID/);
  });

  it('starts when a group robot or email can post, and says how the morning messages go', async () => {
    for (const [what, c, e] of [
      ['a unit’s group robot', { ...ctx, directory }, env],
      ['email', ctx, { ...env, DUBAN_SMTP_URL: 'smtp://127.0.0.1:2525' }],
    ] as const) {
      const on = await startChatPlatforms(c, e);
      try {
        expect(on.lines.join('\n'), what).toContain('不能主动发消息：每天的督办消息经群机器人（通讯录 wecomWebhook）或邮件发出');
      } finally {
        await on.stop();
      }
    }
  });
});

describe('a morning message by the group robot, answered through the callback, on a real campaign of the seed plan', () => {
  let campaign: BotCampaign;
  let ctx: ReplyContext;
  let robots: WecomServer;
  let platforms: RunningPlatforms | undefined;
  let cleanup: () => Promise<void> = async () => undefined;
  const duty = () => campaign.ledger.find((e) => e.unit === unit && e.taskNumber === 4)!;
  const status = () => ctx.client.workflow.getHandle(duty().dutyId).query(statusQuery);

  beforeAll(async () => {
    robots = await startWecomServer([key]);
    const temporal = await devServerEnv();
    const loaded = loadCampaign({ year: 2022 });
    const clockOffsetMs = Date.parse('2022-05-06T10:00:00+08:00') - Date.now();
    const startAt = Date.parse(`${loaded.nominalStart}:00+08:00`);
    campaign = await startBotCampaign(temporal, { ...loaded.input, clockOffsetMs, startAt }, (entries) => entries.length === 69, `duban/wecom-cbm-${randomUUID()}`);
    ctx = { client: temporal.client, directory, campaignWorkflowId: campaign.campaignWorkflowId, now: () => Date.now() + clockOffsetMs };
    platforms = await startChatPlatforms(ctx, env);
    cleanup = async () => {
      await platforms?.stop();
      await campaign.stop();
      await temporal.teardown();
      await robots.close();
    };
  }, 120_000);
  afterAll(async () => cleanup());

  it('the morning message goes to the unit’s group robot (no card, no email for the coordinator); 「收到 4」 in the group acts once, channel wecom', async () => {
    const d = duty();
    const code = d.code ?? '4';
    const item: OutgoingMessage = {
      key: `cbm/${randomUUID()}`,
      kind: 'ack-request',
      dutyId: d.dutyId,
      taskNumber: 4,
      unit,
      code,
      toUnits: [unit],
      recipients: [{ unit, role: 'coordinators' }],
      level: 'blue',
      at: Date.parse('2022-05-06T09:00:00+08:00'),
      deadline: d.deadline,
      subject: '【督办】[任务4]',
      text: '任务4：请按期报送。',
    };
    const msg = morningMessage(campaign.campaignWorkflowId, { at: item.at, unit, items: [item] });
    const emailed: string[] = [];
    const email: EmailSender = {
      async send(_m, to) {
        emailed.push(...to);
        return { channel: 'email', accepted: to, rejected: [] };
      },
      close: () => undefined,
    };
    const ledger = new SendLedger();
    // The worker as `npm start` builds it: the card sender has no long-connection robot in callback mode.
    await createActivities({
      directory,
      email,
      wecom: createWecomSender({ directory, ledger, baseUrl: robots.baseUrl }),
      wecomCards: createWecomCardSender({ directory, ledger, robot: () => platforms?.wecomRobot }),
    }).notify(msg);
    const post = await until('the group robot’s post', () => robots.posts.find((p) => p.key === key));
    expect(post.body.msgtype).toBe('markdown');
    expect(post.body.markdown?.content).toContain(`回复编号 ${code}`);
    expect(emailed).not.toContain(person.email);

    const callbackUrl = platforms!.lines.join('\n').match(/在 (http:\/\/\S+) 接收回调/)![1]!;
    const res = await wecomPeer(callbackUrl).send(callbackText({ userid, chatid: 'g-yigong', text: `@督办助手 收到 ${code}` }));
    expect(String((res.reply?.stream as { content?: string } | undefined)?.content)).toContain(`已确认 ${code}`);
    const s = await status();
    expect(s.status).toBe('acknowledged');
    expect(s.history.filter((h) => h.event === 'acknowledged')).toEqual([expect.objectContaining({ by: person.name, via: 'wecom' })]);
  });
});
