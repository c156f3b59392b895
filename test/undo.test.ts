/**
 * 「撤回」 (issue #25): a person takes back their own latest acknowledgement, completion, progress or visit report,
 * the same day and before a supervisor has reviewed it. Duty workflows on the time-skipping server (what the duty
 * does after an undo), then the reply path on a real campaign of the seed plan on the dev server (what the
 * coordinator writes and is answered).
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { answer, type ReplyContext, type Speaker } from '../bot/replies';
import { loadCampaign } from '../cli/campaign-input';
import { loadDirectory } from '../plan/files';
import { acknowledgeUpdate, completeUpdate, rejectUpdate, reportActionsUpdate, statusQuery, undoUpdate } from '../workflows/messages';
import type { DutyState } from '../workflows/types';
import { startBotCampaign, type BotCampaign } from './bot-campaign';
import { dutyInput } from './duty-fixtures';
import { devServerEnv } from './env';
import { coordinator, runDuty, supervisor } from './harness';

const id = (name: string) => `test/undo-${name}/${randomUUID()}`;
const closeAt = '2023-03-31';
/** Why an Update was refused ('accepted' when it was not): captured, and asserted after the run. */
const errorOf = (p: Promise<unknown>): Promise<string> =>
  p.then(
    () => 'accepted',
    (e: { cause?: { message?: string }; message?: string }) => e.cause?.message ?? e.message ?? String(e),
  );
/** Another coordinator of the same unit. */
const colleague = { ...coordinator, person: '赵敏' };

describe('undo on the duty workflow', () => {
  it('takes back a completion the same day: the duty is open again and keeps reminding to the deadline', async () => {
    const seen: { completed?: DutyState; colleague?: string; undone?: DutyState } = {};
    const run = await runDuty(dutyInput(id('complete'), '2022-06-15', { closeAt }), '2022-06-01T09:00', async (msg, handle) => {
      if (msg.kind !== 'ack-request' || seen.undone) return;
      seen.completed = await handle.executeUpdate(completeUpdate, { args: [{ actor: coordinator, note: '点错了' }] });
      seen.colleague = await errorOf(handle.executeUpdate(undoUpdate, { args: [{ actor: colleague }] }));
      seen.undone = await handle.executeUpdate(undoUpdate, { args: [{ actor: coordinator }] });
    });
    expect(seen.completed?.status).toBe('completed');
    // Only the writer's own reply.
    expect(seen.colleague).toContain('只能撤回本人的回复');
    expect(seen.colleague).toContain('县乡村振兴局');
    expect(seen.undone).toMatchObject({ status: 'open' });
    expect(seen.undone?.completedAt).toBeUndefined();
    expect(seen.undone?.completionNote).toBeUndefined();
    // Open again: the deadline reminders still come, and the ladder after the deadline.
    expect(run.lines).toEqual(expect.arrayContaining(['reminder 2022-06-15T09:00:00+08:00', 'escalation 2022-06-16T09:00:00+08:00']));
    const events = run.final.history.map((h) => `${h.event}${h.by ? ` ${h.by}` : ''}`);
    expect(events).toEqual(expect.arrayContaining(['completed 王晓明', 'undone 王晓明']));
    expect(run.final.history.find((h) => h.event === 'undone')?.detail).toBe('撤回办结');
  });

  it('refuses an undo on a later day and after a supervisor sent the completion back, saying whom to ask', async () => {
    const seen: { lateUndo?: string; rejectedUndo?: string; acked?: boolean } = {};
    await runDuty(dutyInput(id('late'), '2022-06-15', { closeAt }), '2022-06-01T09:00', async (msg, handle) => {
      if (msg.kind === 'ack-request' && !seen.acked) {
        seen.acked = true;
        await handle.executeUpdate(acknowledgeUpdate, { args: [{ actor: coordinator }] });
      }
      if (msg.kind === 'reminder' && !seen.lateUndo) {
        seen.lateUndo = await errorOf(handle.executeUpdate(undoUpdate, { args: [{ actor: coordinator }] }));
        await handle.executeUpdate(completeUpdate, { args: [{ actor: coordinator, note: '已报' }] });
        await handle.executeUpdate(rejectUpdate, { args: [{ actor: supervisor, reason: '材料不全' }] });
        seen.rejectedUndo = await errorOf(handle.executeUpdate(undoUpdate, { args: [{ actor: coordinator }] }));
        await handle.executeUpdate(completeUpdate, { args: [{ actor: coordinator, note: '补齐' }] });
      }
    });
    expect(seen.lateUndo).toContain('只能在当天撤回');
    expect(seen.lateUndo).toContain('县乡村振兴局');
    expect(seen.rejectedUndo).toContain('没有可撤回的回复');
  });

  it('takes back a visit report: the count goes back and the quota is not met', async () => {
    const input = dutyInput(id('quota'), '2022-12-31', {
      closeAt,
      duty: { ...dutyInput('x', '2022-12-31').duty, dutyId: id('quota'), kind: 'quota', taskNumber: 12, unit: '县民政局' },
      quota: { items: [{ min: 1, clause: '主要负责同志到村指导工作不少于1次' }], checkpoints: ['2022-06-30'] },
    });
    const seen: { met?: DutyState; undone?: DutyState } = {};
    const run = await runDuty(input, '2022-06-01T09:00', async (msg, handle) => {
      if (seen.undone) return;
      seen.met = await handle.executeUpdate(reportActionsUpdate, { args: [{ actor: coordinator, count: 1 }] });
      seen.undone = await handle.executeUpdate(undoUpdate, { args: [{ actor: coordinator }] });
      void msg;
    });
    expect(seen.met).toMatchObject({ status: 'completed', quotaCounts: [1] });
    expect(seen.undone?.status).not.toBe('completed');
    expect(seen.undone?.quotaCounts?.[0] ?? 0).toBe(0);
    // Still short at the checkpoint: the unit and the supervisor are warned.
    expect(run.messages.some((m) => m.kind === 'quota-warning')).toBe(true);
  });
});

describe('「撤回」 by reply, on a real campaign of the seed plan', () => {
  const directory = loadDirectory(join(__dirname, '..', 'seeds', 'dazhu-units.yaml'));
  const unit = '县以工代赈中心';
  const person = directory.units[unit]!.coordinators[0]!;
  const speaker: Speaker = { id: person.wechat!, name: person.name };
  let campaign: BotCampaign;
  let ctx: ReplyContext;
  let cleanup: () => Promise<void> = async () => undefined;

  beforeAll(async () => {
    const env = await devServerEnv();
    const loaded = loadCampaign({ year: 2022 });
    const at = Date.parse('2022-05-06T10:00:00+08:00');
    const clockOffsetMs = at - Date.now();
    const startAt = Date.parse(`${loaded.nominalStart}:00+08:00`);
    const campaignWorkflowId = `duban/undo-${randomUUID()}`;
    campaign = await startBotCampaign(env, { ...loaded.input, clockOffsetMs, startAt }, (entries) => entries.length === 69, campaignWorkflowId);
    ctx = { client: env.client, directory, campaignWorkflowId, now: () => Date.now() + clockOffsetMs };
    cleanup = async () => {
      await campaign.stop();
      await env.teardown();
    };
  }, 120_000);
  afterAll(async () => cleanup());

  it('「撤回刚才的完成」 takes the completion back and says what now stands; a second 「撤回」 is refused', async () => {
    const duty = campaign.ledger.find((e) => e.unit === unit && e.taskNumber === 4)!;
    const status = () => ctx.client.workflow.getHandle(duty.dutyId).query(statusQuery);
    expect(await answer(ctx, speaker, '完成 4 清单已报县局', false)).toContain('已登记办结 4');
    expect((await status()).status).toBe('completed');
    const undone = await answer(ctx, speaker, '撤回刚才的完成', false);
    expect(undone).toContain('已撤回 4');
    expect(undone).toContain('办结');
    expect(undone).toContain('当前：');
    const after = await status();
    expect(after.status).not.toBe('completed');
    expect(after.history.filter((h) => h.event === 'undone')).toHaveLength(1);
    // Nothing left to take back: refused, with whom to ask, and nothing changed.
    expect(await answer(ctx, speaker, '撤回', false)).toContain('没有可撤回的回复');
    expect((await status()).history.filter((h) => h.event === 'undone')).toHaveLength(1);
  });

  it('a quote-reply 「收到」 under our message asking for 「完成 4」 acknowledges, never completes', async () => {
    const quoted = '「大竹督办：【今日督办】县以工代赈中心 任务4 截止 2022-04-30，请回复「完成 4 情况说明」」\n- - - - - - - - - - - - - - -\n收到';
    const reply = await answer(ctx, speaker, quoted, false);
    expect(reply).toContain('已确认 4');
    expect(reply).not.toContain('办结 4');
    const duty = campaign.ledger.find((e) => e.unit === unit && e.taskNumber === 4)!;
    expect((await ctx.client.workflow.getHandle(duty.dutyId).query(statusQuery)).status).toBe('acknowledged');
  });
});
