/**
 * The desk with the WeChat bot down (issue #27): it sent units one after another, and each WeChat send waited its
 * pick-up time before email took over, with an alert each time. 30 units' 09:00 messages ended near 19:00. Now the
 * first message finds out that the bot does not pick up, and the rest go by email at once. What the administrators
 * notice: one alert that the bot did not pick up and one that says how many went by email, not one per unit; and
 * every unit still gets its message. Dev server (an activity nobody polls for times out in real time).
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { RecordingChannel } from '../activities/outbox';
import { createWorker } from '../worker';
import type { OutgoingMessage } from '../workflows/types';
import { deskItem } from './desk-items';
import { calendar2022 } from './duty-fixtures';
import { devServerEnv, uniqueQueue, workflowBundle } from './env';
import { until } from './until';

const UNITS = 30;

describe('a desk whose WeChat bot does not pick up', () => {
  it('finds out once, sends every unit its message by email, and alerts twice instead of once per unit', async () => {
    const env = await devServerEnv();
    const taskQueue = uniqueQueue('desk-waves');
    const deskId = `duban/desk/${taskQueue}`;
    const sent: OutgoingMessage[] = [];
    const worker = await createWorker({ connection: env.nativeConnection, taskQueue, channel: new RecordingChannel(undefined, async (m) => void sent.push(m)), workflowBundle: workflowBundle() });
    const running = worker.run();
    try {
      // A WeChat queue nobody polls (the bot's process is down); 3 s stand for its 20-minute pick-up time.
      const handle = await env.client.workflow.start('deskWorkflow', {
        taskQueue,
        workflowId: deskId,
        args: [{ deskId, calendar: calendar2022, campaigns: [], wechatTaskQueue: `wechat-${randomUUID()}`, delivery: { wechatPickupSeconds: 3 } }],
      });
      const at = Date.now();
      for (let i = 0; i < UNITS; i++) await handle.signal('morningItem', deskItem(i, at, UNITS, 'waves'));
      // The supervising office's digest of the same instant: by email once the bot was found down (0.9.1), not
      // after another pick-up time and another 「微信发送失败」.
      const digest: OutgoingMessage = { key: `waves/digest/red/2022-05-17`, kind: 'digest', toUnits: ['县乡村振兴局'], recipients: [{ unit: '县乡村振兴局', role: 'coordinators' }], level: 'red', at, subject: '【督办快报】测试', text: '今日红色督办 1 项。' };
      await handle.signal('deskDigest', digest);
      await until('every unit’s message and the digest', async () => (sent.filter((m) => m.kind === 'reminder').length >= UNITS && sent.some((m) => m.kind === 'digest') ? true : undefined), 120_000);
      await new Promise((r) => setTimeout(r, 2_000));
      const morning = sent.filter((m) => m.kind === 'reminder');
      expect(new Set(morning.flatMap((m) => m.toUnits)).size).toBe(UNITS);
      expect(morning).toHaveLength(UNITS);
      const alerts = sent.filter((m) => m.kind === 'alert').map((m) => m.text);
      expect(alerts.filter((t) => t.includes('微信发送失败'))).toHaveLength(1);
      expect(alerts.filter((t) => t.includes('微信机器人未接收发送任务'))).toEqual([expect.stringContaining(`其余 ${UNITS - 1} 条消息改由邮件发送`)]);
    } finally {
      await env.client.workflow
        .getHandle(deskId)
        .terminate('test over')
        .catch(() => undefined);
      worker.shutdown();
      await running;
      await env.teardown();
    }
  }, 240_000);
});
