/**
 * A running campaign takes next year's official days: a 2026 campaign runs on into 2027, whose calendar no
 * package knows yet (Monday–Friday is guessed, so New Year's Day counts as a working day); loaded mid-run, the
 * 2027 calendar moves January's escalations off the holiday, and nothing already sent changes.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { officialCalendar } from '../calendar/official';
import { mergeCalendars, shanghaiDate, shanghaiInstant } from '../calendar/working-days';
import { calendarFromFile } from '../cli/calendar';
import { simulateYear } from '../cli/simulate';
import { calendarUpdateSignal } from '../workflows/messages';
import { initialDutyState, plannedActions } from '../workflows/policy';
import { dutyInput } from './duty-fixtures';
import { workflowBundle } from './env';

const FILE = join(__dirname, 'fixtures', 'calendar-2027.yaml');

describe('a calendar loaded while a campaign runs', () => {
  it('is the premise: on the guessed 2027 a duty due 31 December 2026 escalates on New Year’s Day', () => {
    const guessed = officialCalendar([2026, 2027]).calendar;
    expect(guessed.knownYears).toEqual([2026]);
    const input = dutyInput('c/t19/r1/2026-12/县乡村振兴局', '2026-12-31', { calendar: guessed });
    const first = plannedActions(input, initialDutyState(input, shanghaiInstant('2026-04-29', 600))).find((a) => a.kind === 'escalation');
    expect(shanghaiDate(first!.at)).toBe('2027-01-01');
    const loaded = mergeCalendars(guessed, calendarFromFile(FILE));
    expect(loaded.knownYears).toEqual([2026, 2027]);
    const moved = plannedActions({ ...input, calendar: loaded }, initialDutyState(input, shanghaiInstant('2026-04-29', 600))).find((a) => a.kind === 'escalation');
    expect(shanghaiDate(moved!.at)).toBe('2027-01-04');
  });

  it('moves a running 2026 campaign’s January escalations off the new holiday, leaving what was sent', async () => {
    let loadedAt: number | undefined;
    const result = await simulateYear({
      year: 2026,
      replies: 'none',
      workflowBundle: workflowBundle(),
      // The administrator runs `duban calendar load` in early December, while the campaign runs.
      onMessage: async (msg, client, campaign) => {
        if (loadedAt !== undefined || msg.at < shanghaiInstant('2026-12-01', 0)) return;
        loadedAt = msg.at;
        await client.workflow.getHandle(campaign).signal(calendarUpdateSignal, calendarFromFile(FILE));
      },
    });
    expect(loadedAt).toBeDefined();
    const days = new Set(result.messages.map((m) => shanghaiDate(m.at)));
    expect(days.has('2027-01-01')).toBe(false);
    // The December instances' first escalation step, on the first working day of 2027 as now known.
    const escalations = result.dutyMessages.filter((m) => m.kind === 'escalation' && m.deadline === '2026-12-31');
    expect(escalations.length).toBeGreaterThan(0);
    expect(shanghaiDate(Math.min(...escalations.map((m) => m.at)))).toBe('2027-01-04');
    // Judged by the loaded calendar: nothing on a day off or outside office hours.
    expect(result.offHours).toEqual([]);
  }, 240_000);
});
