/**
 * A duty outlives its campaign (issue #27): once the campaign is gone (stopped, terminated in the Web UI), the
 * duty keeps reminding its unit and taking replies, instead of failing at its next change.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { completeUpdate } from '../workflows/messages';
import { dutyInput } from './duty-fixtures';
import { coordinator, runDuty } from './harness';

describe('a duty whose campaign is gone', () => {
  it('still asks its unit to acknowledge, takes the completion and ends completed', async () => {
    const dutyId = `test/alone/${randomUUID()}`;
    // The campaign id names no workflow: every ledger line the duty reports finds nobody.
    const input = dutyInput(dutyId, '2022-06-15', { closeAt: '2022-07-31', campaignWorkflowId: `duban/gone-${randomUUID()}` });
    let completedAt: string | undefined;
    const run = await runDuty(input, '2022-06-01T09:00', async (msg, handle) => {
      if (msg.kind === 'reminder' && !completedAt) {
        completedAt = new Date(msg.at).toISOString();
        await handle.executeUpdate(completeUpdate, { args: [{ actor: coordinator, note: '已报' }] });
      }
    });
    expect(run.lines[0]).toBe('ack-request 2022-06-01T09:00:00+08:00');
    expect(run.lines.some((l) => l.startsWith('reminder '))).toBe(true);
    expect(completedAt).toBeDefined();
    expect(run.final).toMatchObject({ status: 'completed', ended: true });
  });

  it('with its desk gone too, sends its own reminders at their instants', async () => {
    const dutyId = `test/alone-desk/${randomUUID()}`;
    const input = dutyInput(dutyId, '2022-06-15', {
      closeAt: '2022-07-31',
      campaignWorkflowId: `duban/gone-${randomUUID()}`,
      morningWorkflowId: `duban/desk-gone-${randomUUID()}`,
      morningDesk: true,
    });
    const run = await runDuty(input, '2022-06-01T09:00');
    // Each reminder at 09:00 of its day, from the duty itself (the desk that should have sent it does not exist).
    const reminders = run.lines.filter((l) => l.startsWith('reminder '));
    expect(reminders.length).toBeGreaterThanOrEqual(2);
    for (const r of reminders) expect(r).toMatch(/T09:00:00\+08:00$/);
    expect(run.lines).toContain('escalation 2022-06-16T09:00:00+08:00');
  });
});
