/**
 * Email through a real SMTP server on loopback: what arrives (subject, Chinese body, recipients, .ics),
 * retries on 451 without doubling, the alert path on 550, partly rejected recipients, and the send ledger.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createActivities } from '../activities';
import { renderMail } from '../channels/render';
import { loadDirectory } from '../plan/files';
import { completeUpdate } from '../workflows/messages';
import type { OutgoingMessage } from '../workflows/types';
import { dutyInput } from './duty-fixtures';
import { runDuty } from './harness';
import { sinkPerTest } from './linked-campaign';

const directory = loadDirectory(join(__dirname, '..', 'seeds', 'dazhu-units.yaml'));
const coordinatorOf = (unit: string) => directory.units[unit]?.coordinators[0]?.email ?? '';
const admin = directory.admins[0]?.email ?? '';
const closeAt = '2023-03-31';

const mail = sinkPerTest('督办系统 <duban@example.org>');

const task1 = (name: string) => dutyInput(`test/email-${name}/${randomUUID()}`, '2022-05-31', { closeAt });
const completeOnDueDay = async (msg: OutgoingMessage, handle: Parameters<Parameters<typeof runDuty>[2] & object>[1]) => {
  if (msg.kind === 'reminder' && msg.text.includes('今天截止')) {
    await handle.executeUpdate(completeUpdate, { args: [{ actor: { person: '王晓明', unit: '县民政局', role: 'coordinator' }, note: '完成' }] });
  }
};

describe('email reminders', () => {
  it('arrive with the tagged subject, the Chinese body, the right recipients and a calendar entry', async () => {
    const sink = await mail.start();
    await runDuty(task1('ok'), '2022-05-27T10:00', completeOnDueDay, { email: mail.email(), directory });
    await sink.settled();
    const subjects = sink.received.map((m) => m.subject);
    expect(subjects).toEqual([
      '【督办】[任务1] 完善防返贫动态监测帮扶机制 · 5月31日截止',
      '【督办】[任务1] 完善防返贫动态监测帮扶机制 · 5月31日截止',
      '【督办】[任务1] 完善防返贫动态监测帮扶机制 · 5月31日截止',
    ]);
    const [first, reminder] = sink.received;
    const addresses = (m: typeof first) => [m?.to].flat().flatMap((t) => (t && 'value' in t ? t.value.map((v) => v.address) : []));
    // The announcement copies the co-unit; reminders go to the accountable unit's coordinators.
    expect(addresses(first)).toEqual([coordinatorOf('县民政局'), coordinatorOf('县教科局')]);
    expect(addresses(reminder)).toEqual([coordinatorOf('县民政局')]);
    expect(reminder?.text).toContain('还有 1 个工作日截止');
    expect(reminder?.text).toContain('原文：严格执行年度防止返贫监测标准');
    expect(reminder?.html).toContain('<blockquote');
    const ics = reminder?.attachments.find((a) => a.filename === 'deadline.ics');
    expect(ics?.content.toString('utf8')).toContain('DTSTART;VALUE=DATE:20220531');
    // One calendar file in the mail, not an alternative plus two attachments.
    const calendars = reminder!.attachments.filter((a) => /calendar|ics/i.test(`${a.contentType} ${a.filename ?? ''}`));
    expect(calendars.map((a) => a.filename)).toEqual(['deadline.ics']);
    expect(reminder!.raw.match(/^Content-Type: (text\/calendar|application\/ics)/gim) ?? []).toHaveLength(1);
  });

  it('are delivered exactly once when the server first answers 451, then 250', async () => {
    const sink = await mail.start({ onData: (_raw, attempt) => (attempt === 1 ? { code: 451, message: 'try again later' } : undefined) });
    await runDuty(task1('451'), '2022-05-27T10:00', completeOnDueDay, { email: mail.email(), directory });
    await sink.settled();
    expect(sink.attempts).toBe(4);
    expect(sink.received).toHaveLength(3);
    expect(new Set(sink.received.map((m) => m.messageId)).size).toBe(3);
  });

  it('alert the administrators when the server refuses for good (550), and do not retry', async () => {
    const sink = await mail.start({ onData: (raw) => (raw.includes('duban-admin') ? undefined : { code: 550, message: 'policy rejection' }) });
    const run = await runDuty(task1('550'), '2022-05-30T10:00', completeOnDueDay, { email: mail.email(), directory });
    await sink.settled();
    const alerts = sink.received.filter((m) => m.subject === '【督办系统告警】');
    expect(alerts.length).toBeGreaterThan(0);
    expect(alerts[0]?.text).toContain('邮件发送失败（不再重试，本条未送达）');
    expect(alerts[0]?.text).toContain('550');
    expect(sink.received.filter((m) => m.subject?.startsWith('【督办】'))).toEqual([]);
    // One attempt per message (the outbox records the alerts too): no retry of a permanent refusal.
    const dutyMessages = run.messages.filter((m) => m.kind !== 'alert');
    expect(alerts).toHaveLength(dutyMessages.length);
    expect(sink.attempts).toBe(dutyMessages.length + alerts.length);
    expect(run.final.history.some((h) => h.event === 'alert')).toBe(true);
  });

  it('report a partly rejected recipient list to the administrators', async () => {
    const sink = await mail.start({ refuseRecipients: [coordinatorOf('县教科局')] });
    await runDuty(task1('partial'), '2022-05-30T10:00', completeOnDueDay, { email: mail.email(), directory });
    await sink.settled();
    const alert = sink.received.find((m) => m.subject === '【督办系统告警】');
    expect(alert?.text).toContain(coordinatorOf('县教科局'));
    const announcement = sink.received.find((m) => m.subject?.startsWith('【督办】'));
    expect(announcement).toBeDefined();
    const to = [announcement?.to].flat().flatMap((t) => (t && 'value' in t ? t.value.map((v) => v.address) : []));
    expect(to).toContain(coordinatorOf('县民政局'));
    expect(admin).toMatch(/@example\.org$/);
  });

  it('never deliver the same key twice, even when the activity runs again', async () => {
    const sink = await mail.start();
    const { notify } = createActivities({ email: mail.email(), directory });
    const msg: OutgoingMessage = {
      key: `ledger-test/${randomUUID()}`,
      kind: 'reminder',
      toUnits: ['县民政局'],
      recipients: [{ unit: '县民政局', role: 'coordinators' }],
      level: 'blue',
      at: Date.parse('2022-05-30T09:00+08:00'),
      subject: '【督办】[任务1] 测试 · 5月31日截止',
      text: '测试',
    };
    await notify(msg);
    await notify(msg);
    await sink.settled();
    expect(sink.received).toHaveLength(1);
  });
});

describe('email templates', () => {
  it('escape names and notes that contain HTML', () => {
    const mail = renderMail({
      key: 'k',
      kind: 'rejection',
      toUnits: ['<script>alert(1)</script>'],
      recipients: [],
      level: 'yellow',
      at: 0,
      subject: '【督办】[任务1] x',
      text: '<script>alert(1)</script>：办结报告被驳回，理由：<img src=x onerror=alert(2)>',
    });
    expect(mail.html).not.toContain('<script>');
    expect(mail.html).not.toContain('<img');
    expect(mail.html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(mail.text).toContain('<script>alert(1)</script>');
  });
});
