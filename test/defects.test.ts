/**
 * Defects found by a review (issue #14), each checked where a user meets it: a plan moved to a leap year, an
 * outbox cut off mid-write, the bot started with nothing configured.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Wechaty } from 'wechaty';
import { RecordingChannel } from '../activities/outbox';
import { createWechatSender } from '../bot/sender';
import { CLAIM_STALE_MS, SendLedger } from '../channels/ledger';
import { loadDirectory } from '../plan/files';
import { botConfigProblem } from '../bot/main';
import { calendarFromFile } from '../cli/calendar';
import { connectOptions, temporalTargetFromEnv } from '../cli/connection';
import { loadCampaign, planForYear } from '../cli/campaign-input';
import type { OutgoingMessage } from '../workflows/types';

const msg = (key: string): OutgoingMessage => ({ key, kind: 'reminder', toUnits: ['县民政局'], recipients: [], level: 'none', at: 0, subject: 's', text: 't' });

describe('a plan run for another year', () => {
  it('keeps a month’s last day its last day: 2月底 is 28 February in 2022 and 29 February in 2024', () => {
    const { plan } = loadCampaign({ year: 2022 }).input;
    const task = plan.tasks.find((t) => t.deadlines.length)!;
    const feb = { ...plan, tasks: [{ ...task, deadlines: [{ ...task.deadlines[0]!, date: '2022-02-28' }, { ...task.deadlines[0]!, date: '2022-05-20' }] }] };
    expect(planForYear(feb, 2024).tasks[0]!.deadlines.map((d) => d.date)).toEqual(['2024-02-29', '2024-05-20']);
    const leap = { ...feb, year: 2024, tasks: [{ ...feb.tasks[0]!, deadlines: [{ ...task.deadlines[0]!, date: '2024-02-29' }] }] };
    expect(planForYear(leap, 2025).tasks[0]!.deadlines.map((d) => d.date)).toEqual(['2025-02-28']);
  });
});

describe('the outbox file', () => {
  it('starts after a write was cut off mid-line, keeping every whole line and not the torn one', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'duban-outbox-')), 'outbox.jsonl');
    writeFileSync(file, `${JSON.stringify(msg('a'))}\n${JSON.stringify(msg('b'))}\n{"key":"c","kind":"remi`);
    const channel = new RecordingChannel(file);
    expect(channel.messages.map((m) => m.key)).toEqual(['a', 'b']);
    // The torn message is not taken: delivered again, it is recorded on a line of its own.
    await channel.deliver(msg('c'));
    await channel.deliver(msg('a'));
    const lines = readFileSync(file, 'utf8').split('\n').filter(Boolean);
    expect(lines.at(-1)).toBe(JSON.stringify(msg('c')));
    expect(new RecordingChannel(file).messages.map((m) => m.key)).toEqual(['a', 'b', 'c']);
    // The fragment is kept beside it, for whoever wants to look.
    expect(readFileSync(`${file}.torn`, 'utf8')).toBe('{"key":"c","kind":"remi\n');
  });

  it('refuses a bad line in the middle, saying which, and changes nothing', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'duban-outbox-')), 'outbox.jsonl');
    const text = `${JSON.stringify(msg('a'))}\nnot json\n${JSON.stringify(msg('b'))}\n`;
    writeFileSync(file, text);
    expect(() => new RecordingChannel(file)).toThrow(/第 2 行不是有效的 JSON \(line 2 is not valid JSON\)/);
    expect(readFileSync(file, 'utf8')).toBe(text);
  });
});

describe('duban bot with nothing configured', () => {
  it('says what to set and install, not a schema message', () => {
    const problem = botConfigProblem({});
    expect(problem).toContain('请设置 WECHATY_PUPPET');
    expect(problem).toContain('npm install wechaty-puppet-service');
    expect(problem).not.toContain('expected string');
    expect(botConfigProblem({ WECHATY_PUPPET: 'wechaty-puppet-mock' })).toBeUndefined();
  });
});

describe('the send ledger', () => {
  it('does not let a retry that overtook a slow send send again, and takes over an abandoned claim', () => {
    const ledger = new SendLedger();
    const t = Date.parse('2022-05-05T09:00:00+08:00');
    expect(ledger.claim('k', 'email', t)).toBe('new');
    // The activity timed out while the first send was still talking to the server: its retry must wait.
    expect(ledger.claim('k', 'email', t + 50_000)).toBe('in-progress');
    // Nobody finished it for longer than any send takes: the process died mid-send.
    expect(ledger.claim('k', 'email', t + CLAIM_STALE_MS + 60_000)).toBe('unsure');
    ledger.markSent('k', 'email', 'ok');
    expect(ledger.claim('k', 'email', t + 10 * CLAIM_STALE_MS)).toBe('sent');
  });
});

describe('a WeChat send that fails for one unit', () => {
  it('is retried without posting again to the units it already reached', async () => {
    const directory = loadDirectory(join(__dirname, '..', 'seeds', 'dazhu-units.yaml'));
    const posts: string[] = [];
    let failFor: string | undefined = '县教科局督办工作群';
    const room = (topic: string) => ({
      say: async () => {
        if (topic === failFor) throw new Error('network');
        posts.push(topic);
      },
    });
    const bot = {
      isLoggedIn: true,
      Contact: { findAll: async () => [] },
      Room: { findAll: async ({ topic }: { topic: string }) => [room(topic)] },
    } as unknown as Wechaty;
    const ledger = new SendLedger();
    const sender = createWechatSender({ bot, directory, ledger, intervalMs: 0 });
    const message: OutgoingMessage = {
      ...msg('formal/1'),
      kind: 'supervision-notice',
      recipients: [
        { unit: '县民政局', role: 'coordinators' },
        { unit: '县教科局', role: 'coordinators' },
      ],
    };
    await expect(sender.send(message)).rejects.toThrow('network');
    expect(posts).toEqual(['县民政局督办工作群']);
    failFor = undefined;
    await expect(sender.send(message)).resolves.toEqual({ delivered: ['县民政局', '县教科局'] });
    expect(posts).toEqual(['县民政局督办工作群', '县教科局督办工作群']);
  });
});

describe('duban calendar load', () => {
  it('refuses a calendar file with an impossible date, naming the file and the path', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'duban-cal-')), 'calendar.yaml');
    writeFileSync(file, 'years:\n  "2027":\n    holidays: ["2027-02-30"]\n');
    expect(() => calendarFromFile(file)).toThrow(`${file}: years.2027.holidays.0: must be an existing date written YYYY-MM-DD`);
    writeFileSync(file, 'years: {}\n');
    expect(() => calendarFromFile(file)).toThrow('years 为空');
  });
});

describe('the connection the bot, duban reply and duban calendar use', () => {
  it('carries TEMPORAL_API_KEY and TLS, as the worker does (the bot used to connect in plain text without them)', () => {
    const options = connectOptions(temporalTargetFromEnv({ TEMPORAL_ADDRESS: 'my-ns.a1b2c.tmprl.cloud:7233', TEMPORAL_NAMESPACE: 'my-ns', TEMPORAL_API_KEY: 'k-123' }));
    expect(options).toEqual({ address: 'my-ns.a1b2c.tmprl.cloud:7233', tls: true, apiKey: 'k-123' });
    expect(connectOptions(temporalTargetFromEnv({}))).toEqual({ address: '127.0.0.1:7233' });
  });
});

describe('DUBAN_CALENDAR at start', () => {
  it('supplies the official days of a year the package does not know, and silences its warning', () => {
    const guessed = loadCampaign({ year: 2026 });
    expect(guessed.input.calendar.knownYears).toEqual([2026]);
    expect(guessed.warnings.join('\n')).toContain('2027 年暂按周一至周五工作日计算');
    const file = join(__dirname, 'fixtures', 'calendar-2027.yaml');
    const official = loadCampaign({ year: 2026, calendarFile: file });
    expect(official.input.calendar.knownYears).toEqual([2026, 2027]);
    expect(official.input.calendar.holidays).toContain('2027-01-01');
    expect(official.input.calendar.makeupWorkdays).toContain('2027-01-09');
    expect(official.warnings.join('\n')).not.toContain('2027 年');
  });
});
