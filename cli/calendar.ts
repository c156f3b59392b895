/**
 * `duban calendar load FILE [--campaign ID] [--year Y]`: loads official holidays and make-up days for more
 * years (the State Council publishes next year's in November or December) into a running campaign, which
 * passes them to every running duty. Each re-plans what is still ahead; nothing already sent changes.
 */
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { loadCalendarFile, officialCalendar } from '../calendar/official';
import type { WorkCalendar } from '../calendar/working-days';
import { calendarQuery, calendarUpdateSignal } from '../workflows/messages';
import { campaignWorkflowId, loadCampaign } from './campaign-input';
import { connectOptions, temporalTargetFromEnv } from './connection';
import { runningCampaignIds } from '../campaigns/registry';

/** The calendar a file gives: exactly its years, validated (a bad date or shape names the file and path). */
export function calendarFromFile(file: string): WorkCalendar {
  const parsed = loadCalendarFile(file);
  const years = Object.keys(parsed.years).map(Number);
  if (!years.length) throw new Error(`${file}: years 为空，没有可载入的年份 (the file lists no year)`);
  return officialCalendar(years, parsed).calendar;
}

export async function calendarCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { campaign: { type: 'string' }, year: { type: 'string', default: String(new Date().getFullYear()) } },
  });
  const [verb, file] = positionals;
  if (verb !== 'load' || !file) throw new Error('用法 usage: duban calendar load FILE [--campaign ID] [--year Y]');
  if (!/^\d{4}$/.test(values.year)) throw new Error(`--year ${values.year}: 须为四位年份 (a four-digit year)`);
  const update = calendarFromFile(file);
  const target = temporalTargetFromEnv();
  const connection = await Connection.connect(connectOptions(target));
  try {
    const client = new Client({ connection, namespace: target.namespace });
    // Every running campaign of the deployment (each passes the days to its duties, and to the desk), unless one is
    // named; where the server lists none (no visibility), the configured one.
    const listed = values.campaign ? [] : await runningCampaignIds(client, target.taskQueue).catch((): string[] => []);
    const ids = values.campaign ? [values.campaign] : listed.length ? listed : [campaignWorkflowId(loadCampaign({ year: Number(values.year) }).input.campaignId)];
    for (const workflowId of ids) {
      const handle = client.workflow.getHandle(workflowId);
      const before = await handle.query(calendarQuery);
      await handle.signal(calendarUpdateSignal, update);
      const replaced = update.knownYears.filter((y) => before.knownYears.includes(y));
      process.stdout.write(
        `已向 ${workflowId} 载入 ${update.knownYears.join('、')} 年的法定节假日安排（${update.holidays.length} 个休息日，${update.makeupWorkdays.length} 个调休工作日）` +
          `${replaced.length ? `，替换原有的 ${replaced.join('、')} 年` : ''}；各项任务将按新日历重新安排尚未发出的提醒和督办。\n`,
      );
    }
  } finally {
    await connection.close();
  }
  return 0;
}
