/**
 * When a channel fails, the next takes over after what the README promises, with the real timings on the
 * time-skipping server: WeChat not picked up in time (20 minutes; shortened, see below) or failing 4 times
 * → email with a note and an admin alert; email failing for good (the SMTP server down) → given up after 8
 * attempts, the duty goes on, and the administrators hear by WeChat since the email alert cannot go either.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { WechatSender } from '../activities';
import { loadDirectory } from '../plan/files';
import { EMAIL_ATTEMPTS } from '../workflows/deliver';
import type { OutgoingMessage } from '../workflows/types';
import { dutyInput } from './duty-fixtures';
import { runDuty } from './harness';
import { sinkPerTest } from './linked-campaign';

const directory = loadDirectory(join(__dirname, '..', 'seeds', 'dazhu-units.yaml'));
// A short duty: due Tuesday 31 May 2022, started the Friday before, the campaign closing mid-June.
const duty = (name: string, wechatTaskQueue?: string) =>
  dutyInput(`test/fallback-${name}/${randomUUID()}`, '2022-05-31', { closeAt: '2022-06-15', ...(wechatTaskQueue ? { wechatTaskQueue } : {}) });

const mail = sinkPerTest();

const messageIdOf = (raw: string) => /^Message-ID:\s*(\S+)/im.exec(raw)?.[1] ?? '';

describe('channel fallbacks', () => {
  it('give an email up after 8 attempts when the SMTP server stays down; the duty goes on and the administrators hear by WeChat', async () => {
    const attempts = new Map<string, number>();
    // 451 for everything, for ever: a server that is down as far as duban can tell (and retryable).
    await mail.start({
      onData: (raw) => {
        const id = messageIdOf(raw);
        attempts.set(id, (attempts.get(id) ?? 0) + 1);
        return { code: 451, message: 'service unavailable' };
      },
    });
    const adminWechat: OutgoingMessage[] = [];
    const wechat: WechatSender = {
      // WeChat reaches the unit; leaders and offices are email-only, and email is down.
      send: async (msg) => ({ delivered: msg.toUnits }),
      sendToAdmins: async (msg) => {
        adminWechat.push(msg);
      },
    };
    const run = await runDuty(duty('smtp-down', `wechat-${randomUUID()}`), '2022-05-27T10:00', undefined, { email: mail.email(), directory, wechat });
    // The duty ran to its end (the campaign's close), its escalation included, instead of waiting on the mail.
    expect(run.final.status).toBe('closed');
    expect(run.messages.some((m) => m.kind === 'escalation')).toBe(true);
    // No message tried more than EMAIL_ATTEMPTS times; the email alerts about them tried 3 times each.
    const counts = [...attempts.values()];
    expect(counts.length).toBeGreaterThan(0);
    expect(Math.max(...counts)).toBe(EMAIL_ATTEMPTS);
    // Every message email gave up on reached the administrators by WeChat, and the duty's history says so.
    expect(adminWechat.length).toBeGreaterThan(0);
    expect(adminWechat.every((m) => m.text.includes('邮件发送失败（不再重试，本条未送达）'))).toBe(true);
    const alerts = run.final.history.filter((h) => h.event === 'alert');
    expect(alerts.length).toBe(adminWechat.length);
    expect(alerts.every((h) => h.detail?.includes('已经微信告知管理员'))).toBe(true);
    // WeChat reached the unit every time: nothing is 未送达 on its record, though leaders' and offices' mail was not.
    expect(run.final.undelivered).toBeUndefined();
    expect(run.final.history.filter((h) => h.event === 'undelivered')).toEqual([]);
  }, 120_000);

  it('send by email with a note and an alert when the bot’s worker does not pick a WeChat send up in time', async () => {
    const sink = await mail.start();
    // A WeChat queue nobody polls: the bot's process is down. The server does not skip time while an activity
    // waits for a worker, so the 20 minutes (WECHAT_PICKUP_SECONDS) are shortened to 3 seconds here.
    const input = { ...duty('no-bot', `wechat-${randomUUID()}`), closeAt: '2022-05-31', delivery: { wechatPickupSeconds: 3 } };
    const run = await runDuty(input, '2022-05-30T10:00', undefined, { email: mail.email(), directory });
    await sink.settled();
    const toUnit = sink.received.filter((m) => m.subject?.startsWith('【督办】') && m.text?.includes('微信未能送达，改由邮件发送'));
    expect(toUnit.length).toBeGreaterThan(0);
    const alert = sink.received.find((m) => m.subject === '【督办系统告警】');
    expect(alert?.text).toContain('微信发送失败，已改发邮件');
    // Not sooner than the pickup time: the alert is in the duty's history 3 s or more after the instant.
    const first = run.messages.find((m) => m.kind !== 'alert')!;
    const alertEntry = run.final.history.find((h) => h.event === 'alert')!;
    expect(alertEntry.at - first.at).toBeGreaterThanOrEqual(3_000);
  }, 120_000);

  it('send by email with a note and an alert after WeChat fails 4 times', async () => {
    const sink = await mail.start();
    let tries = 0;
    const wechat: WechatSender = {
      send: async () => {
        tries += 1;
        throw new Error('群消息发送失败');
      },
      sendToAdmins: async () => undefined,
    };
    const input = duty('wechat-fails', `wechat-${randomUUID()}`);
    const run = await runDuty({ ...input, closeAt: '2022-05-31' }, '2022-05-30T10:00', undefined, { email: mail.email(), directory, wechat });
    await sink.settled();
    const sent = run.messages.filter((m) => m.kind !== 'alert');
    expect(tries).toBe(4 * sent.length);
    expect(sink.received.filter((m) => m.subject?.startsWith('【督办】')).every((m) => m.text?.includes('微信未能送达，改由邮件发送'))).toBe(true);
    const alert = sink.received.find((m) => m.subject === '【督办系统告警】');
    expect(alert?.text).toContain('群消息发送失败');
  }, 120_000);
});
