/**
 * A message that reached its unit by no channel is on the duty's record and in the ledger as 「未送达」 (issue #27):
 * before, the administrators were alerted, but the duty's history, its ledger line and the 台账 said it was sent.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCampaignLedger } from '../campaigns/ledger-read';
import { loadCampaign } from '../cli/campaign-input';
import { ledgerRows } from '../ledger/rows';
import { LEDGER_COLUMNS } from '../ledger/xlsx';
import { loadDirectory } from '../plan/files';
import { dutyPage } from '../dashboard/pages';
import { dutyInput } from './duty-fixtures';
import { runDuty } from './harness';
import { sinkPerTest, startLinkedCampaign } from './linked-campaign';
import { until } from './until';

/** A mail server that refuses every message for good, as one that has blocked the sender does. */
const refusing = { onData: () => ({ code: 550, message: 'mailbox unavailable' }) };
const directory = loadDirectory(join(__dirname, '..', 'seeds', 'dazhu-units.yaml'));
const mail = sinkPerTest();

describe('a message that reached nobody', () => {
  it.each([
    ['the campaign’s', false],
    ['the desk’s', true],
  ])('sent in %s morning message: the duty records it, and its ledger line and 台账 row count it as 未送达', async (_, desk) => {
    const c = await startLinkedCampaign('undelivered', refusing, desk);
    try {
      // The announcement goes at once (5 May 2022, 10:00), in the unit's morning message, and the server refuses it.
      const state = await until('the duty to record it', async () => ((await c.status()).undelivered ? c.status() : undefined), 40_000);
      expect(state.undelivered).toBe(1);
      const line = state.history.find((h) => h.event === 'undelivered');
      expect(line?.detail).toContain(state.unit);
      expect(line?.detail).toContain('邮件服务器拒收');
      const entry = await until('the ledger line', async () => (await readCampaignLedger(c.client.workflow.getHandle(c.campaignWorkflowId))).find((e) => e.undelivered), 20_000);
      expect(entry.undelivered).toBe(1);
      const { plan } = loadCampaign({ year: 2022 }).input;
      const row = ledgerRows(plan, [entry], new Map([[entry.dutyId, state]]))[0]!;
      expect(row.undelivered).toBe(1);
      expect(LEDGER_COLUMNS.map((col) => col.header)).toContain('未送达（次）');
      // The duty's page says so beside what was sent.
      expect(dutyPage(state, '巩固拓展脱贫攻坚成果')).toContain('未送达 1 次');
    } finally {
      await c.stop();
    }
  }, 90_000);

  it('sent by the duty itself: every message email gave up on is on its record', async () => {
    await mail.start(refusing);
    const run = await runDuty(dutyInput(`test/undelivered/${randomUUID()}`, '2022-05-31', { closeAt: '2022-06-15' }), '2022-05-27T10:00', undefined, { email: mail.email(), directory });
    const sent = run.final.history.filter((h) => ['ack-request', 'reminder', 'escalation', 'supervision-notice', 'overdue-reminder', 'status-check'].includes(h.event));
    expect(sent.length).toBeGreaterThan(2);
    const undelivered = run.final.history.filter((h) => h.event === 'undelivered');
    expect(undelivered).toHaveLength(sent.length);
    expect(run.final.undelivered).toBe(sent.length);
  }, 120_000);
});
