/**
 * The outbox is bounded in memory and read from its end (issue #27): the worker kept every message ever sent in
 * memory and read the whole file at each start and on every 发件箱 page, and past 512 MB it could not start.
 */
import { appendFileSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import { OUTBOX_TAIL, RecordingChannel } from '../activities/outbox';
import { readOutboxPage } from '../activities/outbox-file';
import { loadCampaign } from '../cli/campaign-input';
import { createDashboard } from '../dashboard/server';
import { OutboxMornings } from '../ops/health';
import type { OutgoingMessage } from '../workflows/types';

const msg = (i: number): OutgoingMessage => ({
  key: `c/t1/d${i}/县民政局/reminder/${i}`,
  kind: 'reminder',
  toUnits: ['县民政局'],
  recipients: [{ unit: '县民政局', role: 'coordinators' }],
  level: 'none',
  at: Date.parse('2022-06-10T09:00:00+08:00') + i * 60_000,
  subject: `【催办提醒】第 ${i} 条`,
  text: '请于 6 月 15 日前报送。',
});
const N = 5_000;
/** The dashboard asks its campaign for the page's frame: an empty one. */
const noCampaign = { workflow: { getHandle: () => ({ query: async (q: { name: string }) => (q.name === 'ledgerPage' ? { entries: [], total: 0 } : []) }) } } as unknown as Client;
const keysIn = (file: string) => readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => (JSON.parse(l) as OutgoingMessage).key);

describe('the outbox, bounded', () => {
  it('keeps the newest messages in memory, and every key in its index across a restart', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'duban-outbox-')), 'outbox.jsonl');
    const first = new RecordingChannel(file);
    for (let i = 0; i < N; i++) await first.deliver(msg(i));
    expect(first.messages).toHaveLength(OUTBOX_TAIL);
    const again = new RecordingChannel(file);
    expect(again.messages).toHaveLength(OUTBOX_TAIL);
    expect(again.messages.at(-1)?.key).toBe(msg(N - 1).key);
    expect(again.messages[0]?.key).toBe(msg(N - OUTBOX_TAIL).key);
    // The oldest message, retried after the restart, is known and not written again.
    await again.deliver(msg(0));
    await again.deliver(msg(N));
    expect(keysIn(file)).toHaveLength(N + 1);
    expect(new Set(keysIn(file)).size).toBe(N + 1);
  });

  it('indexes an outbox written before 0.8.1 (no index) once, and a line appended by hand after that', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'duban-outbox-')), 'outbox.jsonl');
    writeFileSync(file, Array.from({ length: 50 }, (_, i) => `${JSON.stringify(msg(i))}\n`).join(''));
    const channel = new RecordingChannel(file);
    expect(existsSync(`${file}.index.sqlite`)).toBe(true);
    await channel.deliver(msg(3));
    appendFileSync(file, `${JSON.stringify(msg(50))}\n`);
    const later = new RecordingChannel(file);
    await later.deliver(msg(50));
    await later.deliver(msg(10));
    expect(keysIn(file)).toEqual(Array.from({ length: 51 }, (_, i) => msg(i).key));
  });

  it('two workers writing one outbox: a start after them knows every key and refuses nothing', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'duban-outbox-')), 'outbox.jsonl');
    const [a, b] = [new RecordingChannel(file), new RecordingChannel(file)];
    for (let i = 0; i < 20; i++) await (i % 2 ? b : a).deliver(msg(i));
    const later = new RecordingChannel(file);
    for (let i = 0; i < 20; i++) await later.deliver(msg(i));
    expect(keysIn(file)).toEqual(Array.from({ length: 20 }, (_, i) => msg(i).key));
  });

  it('an outbox replaced by another, longer one is indexed anew: its messages are not taken for the old ones', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'duban-outbox-')), 'outbox.jsonl');
    const first = new RecordingChannel(file);
    for (let i = 0; i < 3; i++) await first.deliver(msg(i));
    writeFileSync(file, Array.from({ length: 10 }, (_, i) => `${JSON.stringify(msg(100 + i))}\n`).join(''));
    const channel = new RecordingChannel(file);
    await channel.deliver(msg(0));
    await channel.deliver(msg(105));
    expect(keysIn(file)).toEqual([...Array.from({ length: 10 }, (_, i) => msg(100 + i).key), msg(0).key]);
  });

  it('/healthz finds the newest morning message of a long outbox a window at a time, then reads only what is appended', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'duban-outbox-')), 'outbox.jsonl');
    const morning = (i: number) => ({ ...msg(i), key: `duban/desk/q/morning/${i}/县民政局`, items: [msg(i)] });
    writeFileSync(file, Array.from({ length: 2_000 }, (_, i) => `${JSON.stringify(i === 300 ? morning(i) : msg(i))}\n`).join(''));
    // 4 KiB windows over a file of some 500 KiB: the morning is many windows back from the end.
    const mornings = new OutboxMornings(file, 4096);
    expect(mornings.lastMorningRun()).toBe(msg(300).at);
    appendFileSync(file, `${JSON.stringify(morning(2_000))}\n${JSON.stringify(msg(2_001))}\n`);
    expect(mornings.lastMorningRun()).toBe(msg(2_000).at);
    expect(new OutboxMornings(file, 4096).lastMorningRun()).toBe(msg(2_000).at);
  });

  it('pages from the end: each message once, newest first, and not a line still being written', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'duban-outbox-')), 'outbox.jsonl');
    writeFileSync(file, Array.from({ length: 1_234 }, (_, i) => `${JSON.stringify(msg(i))}\n`).join('') + '{"key":"half-writ');
    const seen: string[] = [];
    let page = readOutboxPage(file, 200);
    for (;;) {
      seen.push(...page.messages.map((m) => m.key));
      if (page.older === undefined) break;
      page = readOutboxPage(file, 200, page.older);
    }
    expect(seen).toEqual(Array.from({ length: 1_234 }, (_, i) => msg(1_233 - i).key));
  });

  it('the dashboard’s 发件箱 shows 200 a page, with a link to the older ones, and refuses a bad offset', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'duban-outbox-'));
    const outboxFile = join(dir, 'outbox.jsonl');
    writeFileSync(outboxFile, Array.from({ length: 450 }, (_, i) => `${JSON.stringify(msg(i))}\n`).join(''));
    const loaded = loadCampaign({ year: 2022 });
    const server = createDashboard({ client: noCampaign, campaignWorkflowId: 'c', plan: loaded.input.plan, calendar: loaded.input.calendar, token: 't0ken-123456', outboxFile });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const get = (path: string) => fetch(`${base}${path}`, { headers: { authorization: 'Bearer t0ken-123456' } });
    try {
      const newest = await (await get('/outbox')).text();
      expect(newest).toContain('发件箱（最近 200 条）');
      expect(newest).toContain('【催办提醒】第 449 条');
      expect(newest).not.toContain('【催办提醒】第 249 条');
      const older = /href="(\/outbox\?before=\d+)"/.exec(newest)?.[1];
      expect(older).toBeDefined();
      const second = await (await get(older!)).text();
      expect(second).toContain('【催办提醒】第 249 条');
      expect(second).not.toContain('【催办提醒】第 250 条');
      const third = await (await get(/href="(\/outbox\?before=\d+)"/.exec(second)![1]!)).text();
      expect(third).toContain('发件箱（较早的 50 条）');
      expect(third).not.toContain('id="older"');
      expect((await get('/outbox?before=abc')).status).toBe(400);
    } finally {
      server.close();
    }
  });
});
