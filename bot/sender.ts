/**
 * WeChat sends from the bot's process: to the unit's group with @mentions of its coordinators, or to people
 * directly, throttled (WeChat bans bots that burst), long texts split at paragraph ends, each key once.
 */
import type { Wechaty } from 'wechaty';
import type { WechatSender } from '../activities';
import { wechatUnavailable } from '../channels/errors';
import type { SendLedger } from '../channels/ledger';
import { resolveRecipients, type ResolvedPerson } from '../channels/recipients';
import { KIND_CN } from '../channels/render';
import { linksFor, unitLinks, type ActionLink, type LinkSigner } from '../links/actions';
import type { Directory } from '../plan/directory';
import type { OutgoingMessage } from '../workflows/types';

/** WeChat shows long texts badly and may refuse very long ones; keep each part under this. */
export const MAX_PART_LENGTH = 1200;

export function splitText(text: string, max = MAX_PART_LENGTH): string[] {
  if (text.length <= max) return [text];
  const parts: string[] = [];
  let current = '';
  for (const para of text.split('\n')) {
    const pieces = para.length > max ? para.match(new RegExp(`[\\s\\S]{1,${max}}`, 'g')) ?? [] : [para];
    for (const piece of pieces) {
      if (current && current.length + 1 + piece.length > max) {
        parts.push(current);
        current = piece;
      } else current = current ? `${current}\n${piece}` : piece;
    }
  }
  if (current) parts.push(current);
  return parts.map((p, i) => `（${i + 1}/${parts.length}）${p}`);
}

/** One send at a time, at least `intervalMs` apart; a send that hangs is given up after `timeoutMs`. */
export class Throttle {
  private last = 0;
  private chain: Promise<unknown> = Promise.resolve();
  constructor(
    private readonly intervalMs: number,
    private readonly timeoutMs = 30_000,
  ) {}
  run<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.chain.then(async () => {
      const wait = this.last + this.intervalMs - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      let timer: NodeJS.Timeout | undefined;
      try {
        return await Promise.race([
          fn(),
          new Promise<never>((_, reject) => {
            timer = setTimeout(() => reject(new Error(`微信发送超时（${this.timeoutMs} ms）`)), this.timeoutMs);
          }),
        ]);
      } finally {
        clearTimeout(timer);
        this.last = Date.now();
      }
    });
    this.chain = next.catch(() => undefined);
    return next;
  }
}

export interface WechatSenderDeps {
  bot: Wechaty;
  directory: Directory;
  ledger: SendLedger;
  /** Milliseconds between two sends; default 1500. */
  intervalMs?: number;
  /** Action links (DUBAN_PUBLIC_URL set): in a direct message the person's own; in a unit's own group its first coordinator's. */
  links?: LinkSigner;
}

export function createWechatSender({ bot, directory, ledger, intervalMs = 1500, links }: WechatSenderDeps): WechatSender {
  const throttle = new Throttle(intervalMs);
  const linkText = (list: ActionLink[]) => (list.length ? `\n\n在线办理（打开后在页面上确认，请勿转发）：\n${list.map((l) => `${l.label}：${l.url}`).join('\n')}` : '');
  // A group another unit shares is not the unit's own: its messages carry no links anyone there could use.
  const ownGroup = (unit: string) => {
    const u = directory.units[unit];
    const id = u?.wechatGroupId ?? u?.wechatGroup;
    return !!id && Object.entries(directory.units).every(([name, o]) => name === unit || (o.wechatGroupId ?? o.wechatGroup) !== id);
  };
  // One listing per send, matched in memory: a lookup per person is slow, and hangs on some puppets for
  // contacts the account does not have. Only the WeChat id the directory gives counts: a display name is
  // anyone's to choose, so a person with no id in the directory is not messaged by WeChat (email reaches them).
  const contactsFor = async (people: { wechat?: string }[]) => {
    const all = await bot.Contact.findAll();
    const byId = new Map(all.map((c) => [c.id, c]));
    return people.flatMap((p) => {
      const c = p.wechat ? byId.get(p.wechat) : undefined;
      return c ? [c] : [];
    });
  };
  // The unit's group: by its id when the directory gives one (a topic is anyone's to change), else by a topic
  // exactly one of the account's groups has; two groups with the unit's topic are a configuration error, not a
  // guess.
  const roomFor = async (unit: string) => {
    const u = directory.units[unit];
    if (u?.wechatGroupId) {
      const room = await bot.Room.find({ id: u.wechatGroupId });
      if (!room) throw wechatUnavailable(`找不到 ${unit} 的微信群（wechatGroupId ${u.wechatGroupId}）`);
      return room;
    }
    if (!u?.wechatGroup) return undefined;
    const rooms = await bot.Room.findAll({ topic: u.wechatGroup });
    if (rooms.length > 1) {
      throw wechatUnavailable(`有 ${rooms.length} 个名为「${u.wechatGroup}」的微信群，无法确定 ${unit} 的群：请在单位通讯录中填写 wechatGroupId`);
    }
    return rooms[0];
  };
  return {
    async send(msg: OutgoingMessage) {
      if (!bot.isLoggedIn) throw wechatUnavailable('微信机器人未登录');
      const claim = ledger.claim(msg.key, 'wechat');
      if (claim === 'sent') return { delivered: (ledger.detail(msg.key, 'wechat') ?? '').split('|').filter(Boolean) };
      if (claim === 'in-progress') throw new Error(`上一次微信发送仍在进行，稍后重试 (an earlier attempt is still sending ${msg.key})`);
      // A morning message opens with its own heading (今日督办（单位，N 项）).
      const head = msg.items ? '' : `【${KIND_CN[msg.kind] ?? '督办'}】`;
      // Units an earlier, failed attempt already posted to are not posted to again.
      const delivered: string[] = (ledger.partial(msg.key, 'wechat') ?? '').split('|').filter(Boolean);
      try {
        // Coordinators hear through WeChat; leaders and offices read the email copy.
        // Units the directory gives no WeChat route (no group, no coordinator's WeChat id) are email-only: not
        // tried here, and not a failure (the email copy reaches them).
        const routed = (unit: string) => {
          const u = directory.units[unit];
          return !!u?.wechatGroup || !!u?.wechatGroupId || !!u?.coordinators.some((c) => c.wechat);
        };
        const people = resolveRecipients(directory, msg.recipients.filter((r) => r.role === 'coordinators' && routed(r.unit)));
        const problems: string[] = [];
        const byUnit = new Map<string, ResolvedPerson[]>();
        for (const p of people) byUnit.set(p.unit, [...(byUnit.get(p.unit) ?? []), p]);
        for (const [unit, members] of byUnit) {
          if (delivered.includes(unit)) continue;
          const contacts = await contactsFor(members);
          // A unit whose group cannot be found (a stale id, two groups with its topic) is not reached by
          // WeChat — its coordinators get the email copy — and does not stop the other units' posts.
          const room = await roomFor(unit).catch((err: unknown) => {
            problems.push(err instanceof Error ? err.message : String(err));
            return null;
          });
          if (room === null) continue;
          if (room) {
            const extra = links && ownGroup(unit) ? linkText(unitLinks(links, directory, msg, unit)) : '';
            for (const part of splitText(`${head}${msg.text}${extra}`)) await throttle.run(() => room.say(part, ...contacts));
          } else {
            for (const [i, c] of contacts.entries()) {
              // Direct messages: each person their own links.
              const person = members.find((m) => m.wechat === c.id) ?? members[i]!;
              const extra = links ? linkText(linksFor(links, directory, msg, person)) : '';
              for (const part of splitText(`${head}${msg.text}${extra}`)) await throttle.run(() => c.say(part));
            }
          }
          if (room || contacts.length) {
            delivered.push(unit);
            ledger.note(msg.key, 'wechat', delivered.join('|'));
          }
        }
        if (people.length && delivered.length === 0) throw wechatUnavailable(problems[0] ?? `找不到 ${[...byUnit.keys()].join('、')} 的微信群或联系人`);
        ledger.markSent(msg.key, 'wechat', delivered.join('|'));
        return { delivered };
      } catch (err) {
        ledger.release(msg.key, 'wechat');
        throw err;
      }
    },

    async sendToAdmins(msg: OutgoingMessage) {
      if (!bot.isLoggedIn) throw wechatUnavailable('微信机器人未登录');
      const claim = ledger.claim(msg.key, 'wechat');
      if (claim === 'sent') return;
      if (claim === 'in-progress') throw new Error(`上一次微信发送仍在进行，稍后重试 (an earlier attempt is still sending ${msg.key})`);
      try {
        const contacts = await contactsFor(directory.admins);
        if (!contacts.length) throw wechatUnavailable('通讯录中的管理员没有可用的微信号 (no administrator with a WeChat id)');
        // Admins an earlier, failed attempt already reached are not messaged again.
        const reached = (ledger.partial(msg.key, 'wechat') ?? '').split('|').filter(Boolean);
        for (const c of contacts) {
          if (reached.includes(c.id)) continue;
          for (const part of splitText(`${msg.subject}${msg.text}`)) await throttle.run(() => c.say(part));
          reached.push(c.id);
          ledger.note(msg.key, 'wechat', reached.join('|'));
        }
        ledger.markSent(msg.key, 'wechat', reached.join('|'));
      } catch (err) {
        ledger.release(msg.key, 'wechat');
        throw err;
      }
    },
  };
}
