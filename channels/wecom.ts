/**
 * The WeCom group robot (企业微信群机器人): one HTTPS POST of JSON to the robot's webhook. A unit's own robot
 * (`wecomWebhook` on the unit) gets a markdown message with codes and its coordinator's action links; the
 * county group's robot (`wecomWebhook` at the top of the directory) gets a text message that @mentions the
 * unit's coordinators by `mobile` — the contract's `mentioned_mobile_list` exists on text messages only, and
 * the county group is shared, so it carries codes and no links. Limits: markdown 4,096 bytes, text 2,048 bytes
 * (longer texts are split at paragraph ends), 20 messages a minute per robot (queued here, never dropped).
 * errcode 45009 (rate limit) → wait and retry; 93000 (invalid webhook url: a wrong or deleted key) → that
 * unit by email, and the administrators alerted.
 */
import { PERMANENT_DELIVERY } from './errors';
import type { SendLedger } from './ledger';
import { resolveRecipients } from './recipients';
import { KIND_CN } from './render';
import type { Directory } from '../plan/directory';
import type { OutgoingMessage } from '../workflows/types';

export const WECOM_API = 'https://qyapi.weixin.qq.com';
export const MARKDOWN_MAX_BYTES = 4096;
export const TEXT_MAX_BYTES = 2048;
export const PER_MINUTE = 20;
/** errcodes of the webhook contract that decide what happens next. */
export const WECOM_RATE_LIMITED = 45009;
export const WECOM_INVALID_KEY = 93000;

export interface WecomLink {
  label: string;
  url: string;
}

export interface WecomDeps {
  directory: Directory;
  ledger: SendLedger;
  /** The API's origin; tests point it at a local server implementing the contract. */
  baseUrl?: string;
  /** Action links for a unit's own robot (its first coordinator's). */
  linksFor?: (msg: OutgoingMessage, unit: string) => WecomLink[];
  /** How long a post may wait for the robot's rate window before the activity retries later instead. */
  maxWaitMs?: number;
  /** The clock the rate window counts by (tests move it on). */
  clock?: () => number;
}

export interface WecomReport {
  /** Units whose coordinators WeCom reached (their group robot accepted the message). */
  delivered: string[];
  /** Units it could not reach for good (invalid key): email takes over, administrators are told. */
  failed: { unit: string; reason: string }[];
}

export class WecomError extends Error {
  constructor(
    message: string,
    readonly errcode: number,
    readonly permanent: boolean,
  ) {
    super(message);
    this.name = errcodeName(errcode, permanent);
  }
}

function errcodeName(errcode: number, permanent: boolean): string {
  return permanent ? PERMANENT_DELIVERY : errcode === WECOM_RATE_LIMITED ? 'WecomRateLimited' : 'WecomError';
}

const bytes = (s: string) => Buffer.byteLength(s, 'utf8');

/** Splits at paragraph ends (then characters) so every part, numbered, stays under `max` bytes. */
export function splitBytes(text: string, max: number): string[] {
  if (bytes(text) <= max) return [text];
  const budget = max - 24; // room for the 「（i/n）」 prefix
  const parts: string[] = [];
  let current = '';
  const pushPiece = (piece: string) => {
    if (current && bytes(current) + 1 + bytes(piece) > budget) {
      parts.push(current);
      current = piece;
    } else current = current ? `${current}\n${piece}` : piece;
  };
  for (const para of text.split('\n')) {
    if (bytes(para) <= budget) {
      pushPiece(para);
      continue;
    }
    let chunk = '';
    for (const ch of para) {
      if (bytes(chunk + ch) > budget) {
        pushPiece(chunk);
        chunk = '';
      }
      chunk += ch;
    }
    if (chunk) pushPiece(chunk);
  }
  if (current) parts.push(current);
  return parts.map((p, i) => `（${i + 1}/${parts.length}）${p}`);
}

/** Twenty posts a minute per robot, in order: a post waits for its slot rather than being refused. */
class RobotWindow {
  private readonly sent = new Map<string, number[]>();
  private readonly chains = new Map<string, Promise<unknown>>();
  constructor(private readonly clock: () => number) {}

  /** Waits for a slot (at most `maxWaitMs`: then throws, and the activity retries later). */
  run<T>(robot: string, maxWaitMs: number, fn: () => Promise<T>): Promise<T> {
    const next = (this.chains.get(robot) ?? Promise.resolve()).then(async () => {
      const now = this.clock();
      const recent = (this.sent.get(robot) ?? []).filter((t) => t > now - 60_000);
      if (recent.length >= PER_MINUTE) {
        const wait = recent[0]! + 60_000 - now;
        if (wait > maxWaitMs) throw new WecomError(`企业微信机器人每分钟最多 ${PER_MINUTE} 条，排队已满，稍后重试`, WECOM_RATE_LIMITED, false);
        await new Promise((r) => setTimeout(r, wait));
      }
      recent.push(this.clock());
      this.sent.set(robot, recent.slice(-PER_MINUTE));
      return fn();
    });
    this.chains.set(robot, next.catch(() => undefined));
    return next;
  }

  /** The robot said 45009: count its window as full for the next minute. */
  full(robot: string): void {
    const now = this.clock();
    this.sent.set(robot, Array.from({ length: PER_MINUTE }, () => now));
  }
}

export function createWecomSender(deps: WecomDeps) {
  const base = (deps.baseUrl ?? WECOM_API).replace(/\/+$/, '');
  const window = new RobotWindow(deps.clock ?? (() => Date.now()));
  const maxWaitMs = deps.maxWaitMs ?? 30_000;
  const urlOf = (webhook: string) => (/^https?:\/\//.test(webhook) ? webhook : `${base}/cgi-bin/webhook/send?key=${encodeURIComponent(webhook)}`);

  const post = async (webhook: string, body: unknown) => {
    const res = await fetch(urlOf(webhook), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal: AbortSignal.timeout(15_000) });
    if (!res.ok) throw new WecomError(`企业微信接口 HTTP ${res.status}`, res.status, false);
    const answer = (await res.json()) as { errcode?: number; errmsg?: string };
    const errcode = answer.errcode ?? -1;
    if (errcode === 0) return;
    if (errcode === WECOM_RATE_LIMITED) window.full(webhook);
    // A wrong key never starts working by itself; anything else unknown is also not retried (it would loop):
    // email takes over and an administrator reads the errcode.
    const permanent = errcode !== WECOM_RATE_LIMITED && errcode !== -1;
    throw new WecomError(`企业微信机器人返回 errcode ${errcode}：${answer.errmsg ?? ''}`, errcode, permanent);
  };

  /** The robot a unit's coordinators are reached through, and the mobiles to @mention there. */
  const routeOf = (unit: string): { webhook: string; mobiles: string[]; own: boolean } | undefined => {
    const u = deps.directory.units[unit];
    if (!u) return undefined;
    if (u.wecomWebhook) return { webhook: u.wecomWebhook, mobiles: u.coordinators.flatMap((c) => (c.mobile ? [c.mobile] : [])), own: true };
    const county = deps.directory.wecomWebhook;
    const mobiles = u.coordinators.flatMap((c) => (c.mobile ? [c.mobile] : []));
    // In the shared county group a unit is reached only when someone of it is @mentioned.
    return county && mobiles.length ? { webhook: county, mobiles, own: false } : undefined;
  };

  return {
    routed(unit: string): boolean {
      return routeOf(unit) !== undefined;
    },

    /** Posts the message for each coordinator unit it addresses that has a WeCom route; each unit once. */
    async send(msg: OutgoingMessage, units: string[]): Promise<WecomReport> {
      const delivered: string[] = [];
      const failed: WecomReport['failed'] = [];
      const head = msg.items ? '' : `【${KIND_CN[msg.kind] ?? '督办'}】`;
      for (const unit of units) {
        const route = routeOf(unit);
        if (!route) continue;
        const key = `${msg.key}#${unit}`;
        const claim = deps.ledger.claim(key, 'wecom');
        if (claim === 'sent') {
          delivered.push(unit);
          continue;
        }
        if (claim === 'in-progress') throw new WecomError(`上一次企业微信发送仍在进行，稍后重试 (${key})`, -1, false);
        try {
          if (route.own) {
            const links = deps.linksFor?.(msg, unit) ?? [];
            const linkLines = links.length ? `\n\n${links.map((l) => `[${l.label}](${l.url})`).join('　')}` : '';
            for (const part of splitBytes(`**${head}${msg.subject}**\n${msg.text}${linkLines}`, MARKDOWN_MAX_BYTES)) {
              await window.run(route.webhook, maxWaitMs, () => post(route.webhook, { msgtype: 'markdown', markdown: { content: part } }));
            }
          } else {
            const parts = splitBytes(`${head}${msg.subject}\n${msg.text}`, TEXT_MAX_BYTES);
            for (const [i, part] of parts.entries()) {
              const mention = i === 0 ? { mentioned_mobile_list: route.mobiles } : {};
              await window.run(route.webhook, maxWaitMs, () => post(route.webhook, { msgtype: 'text', text: { content: part, ...mention } }));
            }
          }
          deps.ledger.markSent(key, 'wecom', unit);
          delivered.push(unit);
        } catch (err) {
          deps.ledger.release(key, 'wecom');
          if (err instanceof WecomError && err.permanent) failed.push({ unit, reason: err.message });
          else throw err;
        }
      }
      return { delivered, failed };
    },
  };
}

export type WecomSender = ReturnType<typeof createWecomSender>;

/** The coordinators a message addresses, by unit (leaders and offices read email). */
export function coordinatorUnits(dir: Directory, msg: OutgoingMessage): string[] {
  return [...new Set(resolveRecipients(dir, msg.recipients.filter((r) => r.role === 'coordinators')).map((p) => p.unit))];
}

/** Whether the directory names any WeCom robot. */
export function wecomConfigured(dir: Directory): boolean {
  return !!dir.wecomWebhook || Object.values(dir.units).some((u) => !!u.wecomWebhook);
}
