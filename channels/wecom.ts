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
import type { SendLedger } from './ledger';
import { resolveRecipients } from './recipients';
import { KIND_CN } from './render';
import type { Directory } from '../plan/directory';
import type { OutgoingMessage } from '../workflows/types';

export const WECOM_API = 'https://qyapi.weixin.qq.com';
export const MARKDOWN_MAX_BYTES = 4096;
export const TEXT_MAX_BYTES = 2048;
export const PER_MINUTE = 20;
/** The webhook's rate-limit errcode: wait and retry. Any other errcode (93000, a wrong key) is not retried. */
export const WECOM_RATE_LIMITED = 45009;

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
  /** Units it could not reach for now (rate limit, network): tried again by the activity's retry, then email. */
  pending: { unit: string; reason: string }[];
}

export class WecomError extends Error {
  constructor(
    message: string,
    readonly errcode: number,
    readonly permanent: boolean,
  ) {
    super(message);
    this.name = 'WecomError';
  }
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
    const mobiles = u.coordinators.flatMap((c) => (c.mobile ? [c.mobile] : []));
    if (u.wecomWebhook) return { webhook: u.wecomWebhook, mobiles, own: true };
    const county = deps.directory.wecomWebhook;
    // In the shared county group a unit is reached only when someone of it is @mentioned.
    return county && mobiles.length ? { webhook: county, mobiles, own: false } : undefined;
  };

  /** Posts every part not yet posted (a retry after a failed part does not post the earlier ones again). */
  const postParts = async (key: string, webhook: string, bodies: unknown[]) => {
    const claim = deps.ledger.claim(key, 'wecom');
    if (claim === 'sent') return;
    if (claim === 'in-progress') throw new WecomError(`上一次企业微信发送仍在进行，稍后重试 (${key})`, -1, false);
    let done = Number(deps.ledger.partial(key, 'wecom') ?? 0);
    try {
      for (const body of bodies.slice(done)) {
        await window.run(webhook, maxWaitMs, () => post(webhook, body));
        done += 1;
        deps.ledger.note(key, 'wecom', String(done));
      }
      deps.ledger.markSent(key, 'wecom', String(done));
    } catch (err) {
      deps.ledger.release(key, 'wecom');
      throw err;
    }
  };

  // Markdown link syntax in people's own words (a reason, a note) must not become a link in the post.
  const plain = (text: string) => text.replace(/\[/g, '［').replace(/\]/g, '］');

  return {
    /** Whether a coordinator hears of a message in WeCom: their unit's own group, or @mentioned in the county's. */
    reaches(unit: string, person: { mobile?: string }): boolean {
      const route = routeOf(unit);
      return !!route && (route.own || (!!person.mobile && route.mobiles.includes(person.mobile)));
    },

    /**
     * Posts the message for the coordinator units it addresses that have a WeCom route: a unit's own robot one
     * post each; the county group one post for all its units together, @mentioning all of them. Never throws:
     * what failed for good is `failed`, what may work later `pending`.
     */
    async send(msg: OutgoingMessage, units: string[]): Promise<WecomReport> {
      const report: WecomReport = { delivered: [], failed: [], pending: [] };
      const head = msg.items ? '' : `【${KIND_CN[msg.kind] ?? '督办'}】`;
      const routed = units.flatMap((unit) => {
        const route = routeOf(unit);
        return route ? [{ unit, route }] : [];
      });
      const posts: { units: string[]; key: string; webhook: string; bodies: unknown[] }[] = [];
      for (const { unit, route } of routed.filter((r) => r.route.own)) {
        const links = deps.linksFor?.(msg, unit) ?? [];
        // One link per line, and parts split between lines: a link is never cut in two.
        const linkLines = links.length ? `\n\n点击办理（打开后在页面上确认）：\n${links.map((l) => `[${l.label}](${l.url})`).join('\n')}` : '';
        const parts = splitBytes(`**${head}${plain(msg.subject)}**\n${plain(msg.text)}${linkLines}`, MARKDOWN_MAX_BYTES);
        posts.push({ units: [unit], key: `${msg.key}#${unit}`, webhook: route.webhook, bodies: parts.map((content) => ({ msgtype: 'markdown', markdown: { content } })) });
      }
      const county = routed.filter((r) => !r.route.own);
      if (county.length) {
        const mobiles = [...new Set(county.flatMap((r) => r.route.mobiles))];
        const parts = splitBytes(`${head}${msg.subject}\n${msg.text}\n（群机器人不能接收回复：请在微信群回复，或用邮件中的办理链接）`, TEXT_MAX_BYTES);
        posts.push({
          units: county.map((r) => r.unit),
          key: `${msg.key}#county`,
          webhook: county[0]!.route.webhook,
          bodies: parts.map((content, i) => ({ msgtype: 'text', text: { content, ...(i === 0 ? { mentioned_mobile_list: mobiles } : {}) } })),
        });
      }
      for (const p of posts) {
        try {
          await postParts(p.key, p.webhook, p.bodies);
          report.delivered.push(...p.units);
        } catch (err) {
          const reason = err instanceof Error ? err.message : String(err);
          const target = err instanceof WecomError && err.permanent ? report.failed : report.pending;
          for (const unit of p.units) target.push({ unit, reason });
        }
      }
      return report;
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
