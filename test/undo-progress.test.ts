/**
 * 「撤回」 of a progress report (「进度 19 60%」, issue #25): the report is taken back the same day as if never made.
 * The duty workflow on the time-skipping server (what the duty does after it: no warning for a report taken back,
 * the month open again and reminded), then the reply path on a real campaign of the seed plan on the dev server
 * (what the coordinator writes and is answered).
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { answer, type ReplyContext, type Speaker } from '../bot/replies';
import { loadCampaign } from '../cli/campaign-input';
import { loadDirectory } from '../plan/files';
import { reportProgressUpdate, statusQuery, undoUpdate } from '../workflows/messages';
import type { DutyInput, DutyState } from '../workflows/types';
import { startBotCampaign, type BotCampaign } from './bot-campaign';
import { dutyInput } from './duty-fixtures';
import { devServerEnv } from './env';
import { coordinator, runDuty } from './harness';

const id = (name: string) => `test/undo-progress-${name}/${randomUUID()}`;
const closeAt = '2023-03-31';

/** June's instance of a monthly progress duty whose plan sets a bar of 60%. */
const progressDuty = (name: string): DutyInput => {
  const dutyId = id(name);
  return dutyInput(dutyId, '2022-06-30', {
    closeAt,
    duty: { ...dutyInput('x', '2022-06-30').duty, dutyId, kind: 'progress', taskNumber: 19, period: '2022-06', unit: '县民政局' },
    progress: { bar: 60 },
  });
};

describe('undo of a progress report on the duty workflow', () => {
  it('takes back a report under the bar: no report stands, the duty is not behind, and nobody is warned of it', async () => {
    const seen: { reported?: DutyState; undone?: DutyState } = {};
    const run = await runDuty(progressDuty('behind'), '2022-06-01T09:00', async (msg, handle) => {
      if (msg.kind !== 'reminder' || seen.reported) return;
      seen.reported = await handle.executeUpdate(reportProgressUpdate, { args: [{ actor: coordinator, percent: 45 }] });
      seen.undone = await handle.executeUpdate(undoUpdate, { args: [{ actor: coordinator }] });
    });
    // The report counted: behind the plan's 60%, and a warning queued for the unit and the supervisor.
    expect(seen.reported).toMatchObject({ behind: true, progress: { percent: 45, bar: 60 } });
    // Taken back: as before it.
    expect(seen.undone?.progress).toBeUndefined();
    expect(seen.undone?.behind).toBe(false);
    expect(seen.undone?.status).toBe('open');
    expect(seen.undone?.lastReply).toBeUndefined();
    expect(run.final.history.find((h) => h.event === 'undone')).toMatchObject({ by: coordinator.person, detail: '撤回进度' });
    // The warning the report queued never went.
    expect(run.messages.filter((m) => m.kind === 'progress-warning')).toEqual([]);
    // Nothing reported since: the month ends without a report, still reminded up to its deadline and escalated after.
    expect(run.final.progress).toBeUndefined();
    expect(run.final.status).not.toBe('completed');
    expect(run.messages.some((m) => m.kind === 'reminder' && m.at >= Date.parse('2022-06-30T00:00+08:00'))).toBe(true);
    expect(run.messages.some((m) => m.kind === 'escalation')).toBe(true);
  });

  it('takes back a report that met the bar: the month is no longer completed', async () => {
    const seen: { reported?: DutyState; undone?: DutyState } = {};
    const run = await runDuty(progressDuty('met'), '2022-06-01T09:00', async (msg, handle) => {
      if (msg.kind !== 'reminder' || seen.reported) return;
      seen.reported = await handle.executeUpdate(reportProgressUpdate, { args: [{ actor: coordinator, percent: 70 }] });
      seen.undone = await handle.executeUpdate(undoUpdate, { args: [{ actor: coordinator }] });
    });
    expect(seen.reported).toMatchObject({ status: 'completed', progress: { percent: 70 } });
    expect(seen.undone?.status).toBe('open');
    expect(seen.undone?.progress).toBeUndefined();
    expect(seen.undone?.completedAt).toBeUndefined();
    expect(seen.undone?.completionNote).toBeUndefined();
    expect(run.final.status).not.toBe('completed');
    expect(run.messages.some((m) => m.kind === 'escalation')).toBe(true);
  });
});

describe('「进度 19 60%」 then 「撤回 19」 by reply, on a real campaign of the seed plan', () => {
  const directory = loadDirectory(join(__dirname, '..', 'seeds', 'dazhu-units.yaml'));
  // Task 19 is 县乡村振兴局's: a deadline duty and a progress duty a month (several duties of one task number).
  const unit = '县乡村振兴局';
  const person = directory.units[unit]!.coordinators[0]!;
  const speaker: Speaker = { id: person.wechat!, name: person.name };
  let campaign: BotCampaign;
  let ctx: ReplyContext;
  let cleanup: () => Promise<void> = async () => undefined;

  beforeAll(async () => {
    const env = await devServerEnv();
    const loaded = loadCampaign({ year: 2022 });
    const plan = { ...loaded.input.plan, tasks: loaded.input.plan.tasks.filter((t) => t.number === 19) };
    // Thursday 5 May 2022, 10:00 Shanghai, on the campaign's clock and the replies'.
    const clockOffsetMs = Date.parse('2022-05-05T10:00:00+08:00') - Date.now();
    const campaignWorkflowId = `duban/undo-progress-${randomUUID()}`;
    campaign = await startBotCampaign(
      env,
      { ...loaded.input, plan, clockOffsetMs },
      (entries) => entries.some((e) => e.unit === unit && e.kind === 'progress' && e.period === '2022-05'),
      campaignWorkflowId,
    );
    ctx = { client: env.client, directory, campaignWorkflowId, now: () => Date.now() + clockOffsetMs };
    cleanup = async () => {
      await campaign.stop();
      await env.teardown();
    };
  }, 120_000);
  afterAll(async () => cleanup());

  it('takes May’s report back, says so and what to send instead, and the duty shows no report', async () => {
    const may = campaign.ledger.find((e) => e.unit === unit && e.taskNumber === 19 && e.kind === 'progress' && e.period === '2022-05')!;
    const status = () => ctx.client.workflow.getHandle(may.dutyId).query(statusQuery);
    const before = await status();
    expect(before.progress).toBeUndefined();

    const reported = await answer(ctx, speaker, '进度 19 60%', false);
    expect(reported).toContain('已登记进度 60%');
    expect(reported).toContain('2022-05');
    expect((await status()).progress?.percent).toBe(60);

    const undone = await answer(ctx, speaker, '撤回 19', false);
    const code = may.code ?? '19';
    expect(undone).toContain(`已撤回 ${code}（任务19 2022-05）`);
    expect(undone).toContain('的进度');
    expect(undone).toContain(`当前：${before.status === 'open' ? '待确认' : '办理中'}`);
    // What to send next is a progress report: a progress duty refuses 「完成」.
    expect(undone).toContain(`「进度 ${code} 60%」`);
    expect(undone).not.toContain(`「完成 ${code}`);
    const suggested = /「([^」]+)」/.exec(undone ?? '')?.[1];

    const after = await status();
    expect(after.progress).toBeUndefined();
    expect(after.status).toBe(before.status);
    expect(after.history.filter((h) => h.event === 'undone')).toEqual([expect.objectContaining({ by: person.name, detail: '撤回进度' })]);
    // No other duty of task 19 was touched.
    for (const e of campaign.ledger.filter((x) => x.taskNumber === 19 && x.dutyId !== may.dutyId)) {
      const s = await ctx.client.workflow.getHandle(e.dutyId).query(statusQuery);
      expect(s.history.filter((h) => h.event === 'undone' || h.event === 'progress'), e.dutyId).toEqual([]);
    }
    // The reply the answer names is taken: the report can be made again.
    expect(await answer(ctx, speaker, suggested ?? '', false)).toContain('已登记进度 60%');
    expect((await status()).progress?.percent).toBe(60);
  });
});
