/**
 * `duban reply "TEXT" --from PERSON [--campaign ID]`: the bot's reply path from the command line, for an
 * administrator entering a reply given by phone (the duty's history records who entered it).
 * `--dry-run --json [--year Y] [--at ISO] [--plan F] [--directory F]` answers offline from the plan and the
 * directory as if nothing had been answered yet, printing one JSON object: intent, duties, answer.
 */
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { answer } from '../bot/replies';
import { withoutEmailQuote } from '../bot/quoted';
import { personActor } from '../bot/people';
import { extensionDate, parseCommand } from '../bot/commands';
import { resolveReply, type DutyView } from '../bot/resolve';
import { shanghaiDate } from '../calendar/working-days';
import { dueActions, initialDutyState, plannedActions } from '../workflows/policy';
import { assignCodes } from '../workflows/codes';
import { expandCampaign } from '../workflows/expand';
import { MESSAGES_TO_UNIT } from '../workflows/types';
import { campaignWorkflowId, loadCampaign, SEED_DIRECTORY } from './campaign-input';
import { runningCampaignIds } from '../campaigns/registry';
import { loadDirectory } from '../plan/files';
import { connectOptions, temporalTargetFromEnv } from './connection';

const TO_UNIT = new Set<string>(MESSAGES_TO_UNIT);

/** `--channel`: how the reply came (the dry run reads it as that channel hands it over). */
const REPLY_CHANNELS = ['wechat', 'wecom', 'dingtalk', 'email'] as const;

/** An ISO time without an offset is Shanghai time, as everything else duban shows. */
function parseAt(at: string): number {
  const withZone = /(Z|[+-]\d{2}:?\d{2})$/.test(at) ? at : `${at.length === 10 ? `${at}T10:00:00` : at}+08:00`;
  return Date.parse(withZone);
}


export interface DryRunResult {
  intent: string;
  duties: { dutyId: string; task: number; kind: string; code: string }[];
  answer?: string;
}

export interface DryRunOptions {
  text: string;
  from: string;
  year: number;
  /** ISO instant; default the campaign's nominal start plus one day at 10:00. */
  at?: string;
  plan?: string;
  directory?: string;
}

/** The answer a reply would get, from the plan alone, with every duty still unanswered. */
export function dryRunReply(options: DryRunOptions): DryRunResult {
  const loaded = loadCampaign({ year: options.year, ...(options.plan ? { plan: options.plan } : {}), ...(options.directory ? { directory: options.directory } : {}) });
  const startAt = Date.parse(`${loaded.nominalStart}:00+08:00`);
  const at = options.at ? parseAt(options.at) : startAt + 86_400_000;
  if (!Number.isFinite(at)) throw new Error(`--at ${options.at}: 须为 ISO 时间，例如 2022-05-06T10:00:00+08:00`);
  const inputs = expandCampaign(loaded.input, shanghaiDate(startAt));
  const codes = assignCodes(inputs.map((d) => ({ dutyId: d.duty.dutyId, unit: d.duty.unit, taskNumber: d.duty.taskNumber, deadline: d.deadline, kind: d.duty.kind })));
  const closeAt = inputs[0]?.closeAt;
  const views: DutyView[] = inputs.map((d) => ({
    dutyId: d.duty.dutyId,
    task: d.duty.taskNumber,
    kind: d.duty.kind,
    code: codes.get(d.duty.dutyId) ?? String(d.duty.taskNumber),
    unit: d.duty.unit,
    ...(d.duty.period ? { period: d.duty.period } : {}),
    deadline: d.deadline,
    status: 'open',
    ended: closeAt !== undefined && shanghaiDate(at) >= closeAt,
  }));
  const parsed = parseCommand(options.text);
  const supervising = parsed.ok && (parsed.command.kind === 'decide' || parsed.command.kind === 'reject');
  const actor = personActor(loaded.directory, options.from, supervising);
  // The last message the unit received: its duties' latest scheduled message at or before `at`.
  let lastMessage: string[] = [];
  if (actor) {
    let latest = -1;
    for (const d of inputs.filter((x) => x.duty.unit === actor.unit)) {
      const due = dueActions(plannedActions(d, initialDutyState(d, startAt)), at).perform.filter((a) => TO_UNIT.has(a.kind));
      const last = due.at(-1)?.at ?? -1;
      if (last > latest) {
        latest = last;
        lastMessage = [d.duty.dutyId];
      } else if (last === latest && last >= 0) {
        lastMessage.push(d.duty.dutyId);
      }
    }
  }
  const res = resolveReply(parsed, { ...(actor ? { actor } : {}), duties: views, lastMessage, today: shanghaiDate(at), inGroup: true, text: options.text });
  const duties = res.duties.map((d) => ({ dutyId: d.dutyId, task: d.task, kind: d.kind, code: d.code }));
  if (res.intent === 'ignore') return { intent: 'ignore', duties };
  const date = res.command?.kind === 'extension' && res.duties[0] ? extensionDate(res.command.date, res.duties[0].deadline) : undefined;
  return { intent: res.intent, duties, answer: res.answer ?? wouldAnswer(res.intent, res.duties, date) };
}

/** What the bot would confirm for an action on unanswered duties. */
function wouldAnswer(intent: string, duties: DutyView[], date?: string): string {
  const which = duties.map((d) => `${d.code}（任务${d.task}${d.period ? ` ${d.period}` : ''}）`).join('、');
  switch (intent) {
    case 'acknowledge':
      return `已确认 ${which}。`;
    case 'complete':
      return `已登记办结 ${which}。`;
    case 'progress':
      return `已登记 ${which} 进度。`;
    case 'quota':
      return `已登记 ${which} 次数。`;
    case 'extension':
      return `已提交 ${which} 延期申请${date ? `（至 ${date}）` : ''}，等待督办单位审批。`;
    case 'list':
      return duties.length ? `待办 ${duties.length} 项：${which}` : '目前没有待办的督办事项。';
    default:
      return `已受理 ${which}。`;
  }
}

export async function replyCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      from: { type: 'string' },
      campaign: { type: 'string' },
      year: { type: 'string', default: String(new Date().getFullYear()) },
      at: { type: 'string' },
      plan: { type: 'string' },
      directory: { type: 'string' },
      'dry-run': { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      channel: { type: 'string', default: 'wechat' },
    },
  });
  if (!REPLY_CHANNELS.includes(values.channel as (typeof REPLY_CHANNELS)[number])) {
    throw new Error(`--channel ${values.channel}: 须为 ${REPLY_CHANNELS.join('、')} 之一 (one of the reply channels)`);
  }
  // What the person wrote, as each channel hands it over: an email reply's quoted thread and signature are cut
  // as the mailbox reader cuts them; chat quotes as the grammar cuts them (bot/quoted.ts).
  // A quote-reply typed on one command line writes its line breaks as \n.
  const typed = positionals.join(' ').replace(/\\n/g, '\n');
  const text = values.channel === 'email' ? withoutEmailQuote(typed) : typed;
  if (!text) throw new Error('请给出回复内容，例如 duban reply "收到 1" --from 王晓明 (the reply text is missing)');
  if (!values.from) throw new Error('--from: 请写明回复人（通讯录中的姓名、微信号或邮箱） (who replied: a name, WeChat id or email from the directory)');
  if (!/^\d{4}$/.test(values.year)) throw new Error(`--year ${values.year}: 须为四位年份 (a four-digit year)`);
  if (values['dry-run']) {
    const result = dryRunReply({
      text,
      from: values.from,
      year: Number(values.year),
      ...(values.at ? { at: values.at } : {}),
      ...(values.plan ? { plan: values.plan } : {}),
      ...(values.directory ? { directory: values.directory } : {}),
    });
    process.stdout.write(values.json ? `${JSON.stringify(result)}\n` : `${result.intent}\n${result.answer ?? '（不回复）'}\n`);
    return 0;
  }
  const target = temporalTargetFromEnv();
  const connection = await Connection.connect(connectOptions(target));
  try {
    const client = new Client({ connection, namespace: target.namespace });
    // As the bot does: every running campaign of the deployment, unless one is named (or none is listed, e.g. a
    // server without visibility: then the configured campaign).
    const running = values.campaign ? [] : await runningCampaignIds(client, target.taskQueue).catch((): string[] => []);
    const directory = values.directory ? loadDirectory(values.directory) : loadDirectory(process.env.DUBAN_DIRECTORY ?? SEED_DIRECTORY);
    const only = values.campaign ?? (running.length ? undefined : campaignWorkflowId(loadCampaign({ year: Number(values.year), ...(values.plan ? { plan: values.plan } : {}), directory }).input.campaignId));
    const ctx = { client, directory, campaignWorkflowId: only ?? running[0] ?? '', ...(only ? {} : { campaigns: () => runningCampaignIds(client, target.taskQueue) }) };
    const said = await answer(ctx, { id: `cli:${values.from}`, name: values.from, enteredBy: 'cli' }, text, false);
    process.stdout.write(values.json ? `${JSON.stringify({ answer: said ?? null })}\n` : `${said ?? '（不回复）'}\n`);
  } finally {
    await connection.close();
  }
  return 0;
}
