/**
 * How many duties one campaign may hold (issue #27, 0.9.1). A campaign carries its ledger through continue-as-new,
 * packed against its expansion (workflows/ledger-pack.ts): about 48 bytes a duty in a typical year and 84 when every
 * duty was extended, acknowledged, completed and escalated (measured on 13,000 and 39,000 duties of
 * test/big-campaign.ts). Temporal refuses a payload over 2 MB, so past some 24,000 busy duties the campaign's next
 * run could not start. A notice that large (a city's, over every village) is started as several campaigns, each of
 * which still shares the desk, so a unit gets one message per instant across them.
 */
import { shanghaiDate } from '../calendar/working-days';
import { expandCampaign, type CampaignInput } from '../workflows/expand';

/** 20,000 busy duties pack into about 1.7 MB: with the plan itself, under the 2 MB payload limit. */
export const MAX_CAMPAIGN_DUTIES = 20_000;

export class CampaignTooLargeError extends Error {
  constructor(readonly duties: number) {
    super(
      `本通知展开为 ${duties.toLocaleString('en-US')} 项任务，超过单个督办批次的上限 ${MAX_CAMPAIGN_DUTIES.toLocaleString('en-US')} 项：` +
        `请按乡镇（街道）或任务把计划拆成几个计划文件，分别启动（各批次共用同一发送台，每个单位每个时点仍只收到一条消息）。` +
        ` (a campaign of more than ${MAX_CAMPAIGN_DUTIES} duties could not carry its ledger through continue-as-new; split the plan)`,
    );
    this.name = 'CampaignTooLargeError';
  }
}

/** Refuses a campaign whose expansion on `at` is over MAX_CAMPAIGN_DUTIES; gives the count otherwise. */
export function checkCampaignSize(input: CampaignInput, at: number): number {
  const duties = expandCampaign(input, shanghaiDate(at)).length;
  if (duties > MAX_CAMPAIGN_DUTIES) throw new CampaignTooLargeError(duties);
  return duties;
}
