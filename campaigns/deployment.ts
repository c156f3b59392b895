/**
 * The deployment's channel settings, as its worker has them. A campaign started from the CLI used to take them
 * from the clerk's shell: from a plain shell (no DUBAN_WECHAT) it turned WeChat off for every campaign of the
 * desk. The worker (`npm start`, `duban worker`) writes what it was configured with to the data folder; `campaign
 * start` and `desk ensure` read it there, and use their own environment only when no worker ever wrote it.
 */
import { existsSync, readFileSync, writeFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { WECHAT_TASK_QUEUE } from '../bot/main';
import { DESK_SHARDS_MAX } from '../workflows/desk-shards';

const settingsSchema = z.object({
  /** WeChat sends go to the bot's task queue (`DUBAN_WECHAT=1` in the worker's environment). */
  wechatTaskQueue: z.string().min(1).optional(),
  /** The desk's shards (`DUBAN_DESK_SHARDS`, 2–64; omitted = one desk): workflows/desk-shards.ts. */
  deskShards: z.number().int().min(2).max(DESK_SHARDS_MAX).optional(),
  /** When the worker wrote it (ISO), for the operator. */
  writtenAt: z.string(),
});
export type ChannelSettings = z.output<typeof settingsSchema>;

export const DEPLOYMENT_FILE = 'deployment.json';

/**
 * `DUBAN_DESK_SHARDS`: how many desk workflows share the morning's sends (a county needs one; a city of thousands
 * of units several). Anything but a whole number from 1 to DESK_SHARDS_MAX is refused, naming the variable.
 */
export function deskShardsFromEnv(env: NodeJS.ProcessEnv): number | undefined {
  const raw = env.DUBAN_DESK_SHARDS?.trim();
  if (!raw) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > DESK_SHARDS_MAX) {
    throw new Error(`DUBAN_DESK_SHARDS=${raw} 无效：应为 1 到 ${DESK_SHARDS_MAX} 的整数（督办台分片数）(the desk's shard count must be a whole number from 1 to ${DESK_SHARDS_MAX})`);
  }
  return n > 1 ? n : undefined;
}

/** What an environment configures: the worker's own. */
export function channelSettingsFromEnv(env: NodeJS.ProcessEnv, now = new Date()): ChannelSettings {
  const shards = deskShardsFromEnv(env);
  return { ...(env.DUBAN_WECHAT === '1' ? { wechatTaskQueue: WECHAT_TASK_QUEUE } : {}), ...(shards ? { deskShards: shards } : {}), writtenAt: now.toISOString() };
}

/** Written by the worker at start (atomically: a reader never sees half a file). */
export function writeChannelSettings(dir: string, settings: ChannelSettings): void {
  const file = join(dir, DEPLOYMENT_FILE);
  writeFileSync(`${file}.tmp`, `${JSON.stringify(settings, null, 2)}\n`);
  renameSync(`${file}.tmp`, file);
}

/**
 * The worker's settings when it wrote them; otherwise this environment's, with a note saying so. A file that is
 * not what the worker writes is an error naming it (nothing is started on a guess).
 */
export function deploymentChannels(dir: string, env: NodeJS.ProcessEnv): { settings: ChannelSettings; note?: string } {
  const file = join(dir, DEPLOYMENT_FILE);
  if (!existsSync(file)) {
    return { settings: channelSettingsFromEnv(env), note: `未找到 worker 写下的渠道设置 ${file}，按本终端的环境变量设置渠道 (no ${DEPLOYMENT_FILE} from the worker: channels from this shell)` };
  }
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`${file} 不是有效的 JSON：请删除后重启 worker（npm start）(invalid JSON): ${(err as Error).message}`, { cause: err });
  }
  const parsed = settingsSchema.safeParse(raw);
  if (!parsed.success) throw new Error(`${file} 格式不对（${parsed.error.issues[0]?.message}）：请删除后重启 worker（npm start）(unexpected content)`);
  return { settings: parsed.data };
}
