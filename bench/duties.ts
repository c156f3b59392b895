/**
 * Duty inputs for the benchmark, all derived from the seed plan (seeds/dazhu-2022-28.txt with the sample
 * directory) exactly as the campaign expands it, then repeated with unique ids to reach a target count.
 */
import { shanghaiInstant } from '../calendar/working-days';
import { loadCampaign, type LoadedCampaign } from '../cli/campaign-input';
import { expandCampaign, officesFor } from '../workflows/expand';
import type { DutyInput } from '../workflows/types';
import type { Directory } from '../plan/directory';

export const YEAR = 2022;

let cached: LoadedCampaign | undefined;
export function seedCampaign(): LoadedCampaign {
  cached ??= loadCampaign({ year: YEAR });
  return cached;
}

/** The seed plan's duties as the campaign starts them on the notice's day (32 for the seed notice). */
export function seedDuties(startDate = seedCampaign().nominalStart.slice(0, 10)): DutyInput[] {
  return expandCampaign(seedCampaign().input, startDate);
}

/** Milliseconds to add to the real clock so that "now" in a workflow is the given Shanghai local time. */
export function offsetFor(shanghaiLocal: string, realNow = Date.now()): number {
  return Date.parse(`${shanghaiLocal}+08:00`) - realNow;
}

/**
 * `n` duties: the seed duties of county 0, 1, 2, … (a province is 180 counties' worth), each with a unique id.
 * Duties run alone (no campaign to report to), as a client-side start makes them.
 */
export function countyDuties(n: number, prefix: string, clockOffsetMs: number, seed = seedDuties()): DutyInput[] {
  const out: DutyInput[] = [];
  for (let i = 0; i < n; i++) {
    const base = seed[i % seed.length]!;
    const county = Math.floor(i / seed.length);
    out.push({ ...base, duty: { ...base.duty, dutyId: `${prefix}/county${county}/${base.duty.dutyId}` }, clockOffsetMs });
  }
  return out;
}

/** Units whose coordinators have an email address: a reminder to them is one real mail. */
export function unitsWithEmail(): string[] {
  const dir = seedCampaign().directory;
  return Object.entries(dir.units)
    .filter(([, u]) => u.coordinators.some((c) => c.email))
    .map(([name]) => name);
}

/**
 * `n` recurring duty instances (a monthly circular, announced by its reminders: no acknowledgement request
 * at start) spread over the units, each with one reminder "on the day" at 09:00 Shanghai of `deadline`, and
 * a clock offset that puts that 09:00 at the real instant `instantMs`. Nothing else is due for a working day.
 */
export function stormDuties(n: number, prefix: string, deadline: string, instantMs: number): DutyInput[] {
  const seed = seedDuties().filter((d) => d.duty.kind === 'recurring');
  const units = unitsWithEmail();
  const campaign = seedCampaign().input;
  const clockOffsetMs = shanghaiInstant(deadline) - instantMs;
  const out: DutyInput[] = [];
  for (let i = 0; i < n; i++) {
    const base = seed[i % seed.length]!;
    const unit = units[i % units.length]!;
    const rest: DutyInput = { ...base };
    delete rest.quota;
    delete rest.progress;
    out.push({
      ...rest,
      duty: { ...base.duty, kind: 'recurring', unit, dutyId: `${prefix}/${i}/${unit}` },
      offices: officesFor(campaign, unit),
      deadline,
      reminderOffsets: [0],
      closeAt: `${YEAR + 1}-03-31`,
      clockOffsetMs,
    });
  }
  return out;
}

/** The bench's `i`th extra unit (单位0001, …), for storms over more units than the seed directory has. */
export const benchUnit = (i: number) => `单位${String(i + 1).padStart(4, '0')}`;

/** The seed directory plus `units` extra units, each with one coordinator who reads email. */
export function benchDirectory(units: number): Directory {
  const dir = seedCampaign().directory;
  const extra = Object.fromEntries(
    Array.from({ length: units }, (_, i) => [benchUnit(i), { coordinators: [{ name: `联络员${i + 1}`, email: `unit${i + 1}@example.org` }], leaders: [] }]),
  );
  return { ...dir, units: { ...dir.units, ...extra } };
}

/**
 * The typical case: `n` duty reminders over `units` units (n / units each), all due at 09:00 Shanghai of
 * `deadline` (the real instant `instantMs`), handed to the campaign `morningWorkflowId` for its morning
 * messages — one message per unit, as the campaign sends them.
 */
export function typicalDuties(n: number, units: number, prefix: string, deadline: string, instantMs: number, morningWorkflowId: string): DutyInput[] {
  return stormDuties(n, prefix, deadline, instantMs).map((d, i) => {
    const unit = benchUnit(i % units);
    return { ...d, duty: { ...d.duty, unit, dutyId: `${prefix}/${i}/${unit}` }, offices: officesFor(seedCampaign().input, unit), morningWorkflowId };
  });
}
