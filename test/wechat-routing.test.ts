/**
 * Replies land on the duty of their kind when a task holds several for one unit, through the bot on
 * puppet-mock against a real campaign on the dev server: task 12 (a dated duty and the visit quotas of
 * 县委组织部) and task 19 (dated duties and a monthly progress report of 县乡村振兴局). A visit or progress
 * report also counts as acknowledging the duty.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { PuppetMock, mock } from 'wechaty-puppet-mock';
import { WechatyBuilder } from 'wechaty';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerHandlers } from '../bot/bot';
import { loadCampaign } from '../cli/campaign-input';
import { loadDirectory } from '../plan/files';
import { statusQuery } from '../workflows/messages';
import type { LedgerEntry } from '../workflows/types';
import { startBotCampaign } from './bot-campaign';
import { devServerEnv } from './env';
import { until } from './until';

const directory = loadDirectory(join(__dirname, '..', 'seeds', 'dazhu-units.yaml'));
const organisation = directory.units['县委组织部']!.coordinators[0]!;
const rural = directory.units['县乡村振兴局']!.coordinators[0]!;


describe('replies to tasks with several duties (puppet-mock, real campaign)', () => {
  const said: string[] = [];
  let ledger: LedgerEntry[] = [];
  let client: Awaited<ReturnType<typeof devServerEnv>>['client'];
  let say: (who: 'organisation' | 'rural' | 'stranger', text: string) => void;
  let cleanup: () => Promise<void> = async () => undefined;

  beforeAll(async () => {
    const env = await devServerEnv();
    client = env.client;
    const mocker = new mock.Mocker();
    const bot = WechatyBuilder.build({ puppet: new PuppetMock({ mocker }) });
    const self = mocker.createContact({ name: '督办助手' });
    const org = mocker.createContact({ id: organisation.wechat!, name: organisation.name });
    const rur = mocker.createContact({ id: rural.wechat!, name: rural.name });
    const orgRoom = mocker.createRoom({ topic: directory.units['县委组织部']!.wechatGroup!, memberIdList: [self.id, org.id] });
    const stranger = mocker.createContact({ name: '路人丙' });
    const rurRoom = mocker.createRoom({ topic: directory.units['县乡村振兴局']!.wechatGroup!, memberIdList: [self.id, rur.id, stranger.id] });
    for (const room of [orgRoom, rurRoom]) room.on('message', (m) => void (m.talker().id === self.id && said.push(m.text() ?? '')));
    say = (who, text) => (who === 'organisation' ? org.say(text).to(orgRoom) : who === 'stranger' ? stranger.say(text).to(rurRoom) : rur.say(text).to(rurRoom));

    const loaded = loadCampaign({ year: 2022 });
    const plan = { ...loaded.input.plan, tasks: loaded.input.plan.tasks.filter((t) => t.number === 12 || t.number === 19) };
    const campaignWorkflowId = `duban/routing-test-${randomUUID()}`;
    // Thursday 5 May 2022, 10:00 Shanghai, on the campaign's clock and the bot's.
    const clockOffsetMs = Date.parse('2022-05-05T10:00:00+08:00') - Date.now();
    registerHandlers(bot, { client, directory, campaignWorkflowId, now: () => Date.now() + clockOffsetMs });
    await bot.start();
    mocker.login(self);
    await until('login', () => bot.isLoggedIn);

    const campaign = await startBotCampaign(
      env,
      { ...loaded.input, plan, clockOffsetMs },
      (entries) => entries.some((e) => e.kind === 'quota') && entries.filter((e) => e.kind === 'progress').length >= 8,
      campaignWorkflowId,
    );
    ledger = campaign.ledger;
    cleanup = async () => {
      await campaign.stop();
      await bot.stop();
      await env.teardown();
    };
  }, 90_000);

  afterAll(async () => cleanup());

  it('has several duties for one unit in tasks 12 and 19', () => {
    expect(ledger.filter((e) => e.taskNumber === 12 && e.unit === '县委组织部').map((e) => e.kind).sort()).toEqual(['deadline', 'quota']);
    const t19 = ledger.filter((e) => e.taskNumber === 19 && e.unit === '县乡村振兴局');
    expect(t19.filter((e) => e.kind === 'progress').map((e) => e.period)).toContain('2022-06');
    expect(t19.some((e) => e.kind === 'deadline')).toBe(true);
  });

  it('counts 走访 12 +1 on task 12’s visit quota, and takes it as acknowledgement', async () => {
    const quota = ledger.find((e) => e.taskNumber === 12 && e.unit === '县委组织部' && e.kind === 'quota')!;
    say('organisation', '走访 12 +1');
    const reply = await until('the answer', () => said.find((t) => t.includes('任务12')));
    expect(reply).toContain('已登记');
    const state = await client.workflow.getHandle(quota.dutyId).query(statusQuery);
    expect(state.quotaCounts?.[0]).toBe(1);
    expect(state.status).toBe('acknowledged');
    expect(state.acknowledgedBy).toBe(organisation.name);
  });

  it('puts 进度 19 60% on this month’s progress duty (May 2022)', async () => {
    const may = ledger.find((e) => e.taskNumber === 19 && e.kind === 'progress' && e.period === '2022-05')!;
    say('rural', '进度 19 60%');
    const reply = await until('the answer', () => said.find((t) => t.includes('任务19')));
    expect(reply).toContain('已登记进度 60%');
    expect(reply).toContain('2022-05');
    const state = await client.workflow.getHandle(may.dutyId).query(statusQuery);
    expect(state.progress?.percent).toBe(60);
    const june = ledger.find((e) => e.taskNumber === 19 && e.kind === 'progress' && e.period === '2022-06')!;
    expect((await client.workflow.getHandle(june.dutyId).query(statusQuery)).progress).toBeUndefined();
  });

  it('answers a stranger naming a task several duties share, and records the attempt on none of them', async () => {
    const before = said.length;
    say('stranger', '完成 19 已经办好了');
    await until('the refusal', () => said.slice(before).find((t) => t.includes('路人丙：您不在督办通讯录中')));
    const t19 = ledger.filter((e) => e.taskNumber === 19);
    expect(t19.length).toBeGreaterThan(1);
    for (const e of t19) {
      const state = await client.workflow.getHandle(e.dutyId).query(statusQuery);
      expect(state.history.filter((h) => h.event === 'refused'), e.dutyId).toEqual([]);
    }
  });
});
