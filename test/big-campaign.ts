/** A campaign of many units for the size tests, and the base entries its expansion gives (as the campaign records them). */
import { loadCampaign } from '../cli/campaign-input';
import { expandCampaign, type CampaignInput } from '../workflows/expand';
import { baseEntryOf, type BaseEntry } from '../workflows/ledger-pack';

export const base = (input: CampaignInput, start: string): BaseEntry[] => expandCampaign(input, start).map(baseEntryOf);

/** A plan of `units` units each holding task 1's deadline and twelve monthly reports: 13 duties a unit. */
export function bigCampaign(units: number, campaignId = 'scale'): CampaignInput {
  const loaded = loadCampaign({ year: 2022, options: { closeAt: '2023-03-31' } });
  const names = Array.from({ length: units }, (_, i) => `测试单位${String(i + 1).padStart(5, '0')}`);
  const seedTask = loaded.input.plan.tasks.find((t) => t.number === 19)!;
  const task = { ...seedTask, number: 1, lead: names[0]!, coUnits: names.slice(1), accountable: 'all' as const, quotas: [], deadlines: seedTask.deadlines.slice(0, 1), recurring: [{ cadence: 'monthly' as const, text: '每月10日前报送上月进展', dueDay: 10, forPreviousPeriod: true }] };
  return { ...loaded.input, campaignId, plan: { ...loaded.input.plan, tasks: [task] } };
}

