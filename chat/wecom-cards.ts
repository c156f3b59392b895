/**
 * The morning message as a WeCom template card (企业微信智能机器人 · 模板卡片, `button_interaction`) and what a
 * click on it means. Pure but for `answerClick`, which hands the click to the one reply path (bot/replies.ts
 * `answer`) as the reply the button stands for.
 *
 * Never a guess: each button's key names the one duty code it acts on (「收到 4」「完成 4」), or, for 「全部收到」,
 * every code the card lists — so a click acts on exactly the duties the card showed, each named. 「延期」 needs a
 * date and a reason a button cannot give: its click answers with the form to type. Every key also carries the
 * card's codes, so the card can be drawn again after a click with no state kept between sending and clicking
 * (a worker restarted in between still updates it).
 *
 * The card's fields and limits are WeCom's (文档 101032 模板卡片类型; the SDK's types/api.d.ts TemplateCard): at most
 * 6 buttons with keys unique within the card and at most 1,024 bytes, at most 6 horizontal rows, a task_id unique
 * per robot of at most 128 bytes of [A-Za-z0-9_-@].
 */
import { createHash } from 'node:crypto';
import type { TemplateCard, TemplateCardButton } from '@wecom/aibot-node-sdk';
import { z } from 'zod';
import { formatShanghai } from '../calendar/working-days';
import { replyForm } from '../bot/commands';
import { answer, identify, type ReplyContext } from '../bot/replies';
import { KIND_CN } from '../channels/render';
import { byDuty, itemsOf } from '../workflows/morning';
import type { Level, OutgoingMessage } from '../workflows/types';

export const CARD_MAX_BUTTONS = 6;
export const CARD_MAX_ROWS = 6;
export const CARD_KEY_MAX_BYTES = 1024;
/** More codes than fit a key's 1,024 bytes are not listed on a card (a morning message lists at most 40 duties). */
const KEY_CODES_MAX = 40;

const LEVEL_CN: Record<Level, string> = { none: '常规', blue: '蓝色', yellow: '黄色', red: '红色', green: '绿色' };

/** What a button does: acknowledge or complete one duty, acknowledge every listed one, or ask (延期, 完成 of several). */
export type CardAct = 'ack' | 'done' | 'ext' | 'ackall' | 'done?' | 'ext?';

export interface CardKey {
  act: CardAct;
  /** The duty code the button names; absent for 全部收到 and the asking buttons. */
  code?: string;
  /** Every code the card lists, in its order. */
  codes: string[];
}

const KEY_PREFIX = 'duban1';
const codeSchema = z.string().regex(/^[a-z]?\d{1,3}[a-z]?$/, 'not a reply code');
const keySchema = z
  .string()
  .max(CARD_KEY_MAX_BYTES)
  .transform((s) => s.split('|'))
  .pipe(z.tuple([z.literal(KEY_PREFIX), z.enum(['ack', 'done', 'ext', 'ackall', 'done?', 'ext?']), z.string(), z.string()]))
  .transform(([, act, code, codes]) => ({ act, code, codes: codes.split(',') }))
  .pipe(z.object({ act: z.enum(['ack', 'done', 'ext', 'ackall', 'done?', 'ext?']), code: z.union([codeSchema, z.literal('')]), codes: z.array(codeSchema).min(1).max(KEY_CODES_MAX) }))
  .refine((k) => (k.act === 'ack' || k.act === 'done' || k.act === 'ext' ? k.codes.includes(k.code) : k.code === ''), 'the code is not one the card lists');

export function encodeKey(key: CardKey): string {
  return [KEY_PREFIX, key.act, key.code ?? '', key.codes.join(',')].join('|');
}

/** A button key as clicked; anything else (another app's card, a forged key) is not a duban key and acts on nothing. */
export function parseKey(raw: string): CardKey | undefined {
  const parsed = keySchema.safeParse(raw);
  if (!parsed.success) return undefined;
  const { act, code, codes } = parsed.data;
  return { act, ...(code ? { code } : {}), codes };
}

/** The buttons for the codes a card lists: per code 收到/完成/延期 when two or fewer, else 全部收到, per-code 收到 and the asking ones. */
export function buttonsFor(codes: string[]): TemplateCardButton[] {
  const b = (text: string, act: CardAct, code?: string, style = 1): TemplateCardButton => ({ text, style, key: encodeKey({ act, ...(code ? { code } : {}), codes }) });
  if (codes.length <= 2) return codes.flatMap((c) => [b(`收到 ${c}`, 'ack', c), b(`完成 ${c}`, 'done', c, 2), b(`延期 ${c}`, 'ext', c, 3)]);
  const single = codes.slice(0, CARD_MAX_BUTTONS - 3).map((c) => b(`收到 ${c}`, 'ack', c));
  return [b(`全部收到（${codes.length}项）`, 'ackall'), ...single, b('完成…', 'done?', undefined, 2), b('延期…', 'ext?', undefined, 3)];
}

/** A card's task_id: one per (message, person), so a retried send is the same card and two people's cards differ. */
export function cardTaskId(messageKey: string, userid: string): string {
  return `duban-${createHash('sha256').update(`${messageKey}\u0000${userid}`).digest('hex').slice(0, 40)}`;
}

const clip = (text: string, max: number) => (text.length <= max ? text : `${text.slice(0, max - 1)}…`);

/**
 * The card for one coordinator of `unit`: only a morning message with duties of the unit's own that carry a reply
 * code gets one (another unit's duty, listed to a supervising office, is not this unit's to acknowledge).
 */
export function morningCard(msg: OutgoingMessage, unit: string, userid: string): TemplateCard | undefined {
  if (!msg.items) return undefined;
  const own = byDuty(itemsOf(msg)).filter((e) => e.primary.unit === unit && e.primary.code);
  if (!own.length) return undefined;
  const listed = own.slice(0, KEY_CODES_MAX);
  const codes = listed.map((e) => e.primary.code!);
  const rows = listed.slice(0, CARD_MAX_ROWS).map((e) => {
    const i = e.primary;
    const words = [...new Set(e.kinds.map((k) => KIND_CN[k] ?? k))].join('、');
    return { keyname: `编号 ${i.code}`, value: clip(`任务${i.taskNumber ?? ''} ${words}·${LEVEL_CN[i.level]}${i.deadline ? ` 截止${i.deadline.slice(5)}` : ''}`, 26) };
  });
  // Past the 40 a morning message lists, its duties are only counted (msg.overflow): said here too.
  const more = own.length - rows.length + (msg.overflow?.duties ?? 0);
  const first = codes[0]!;
  const hint = `点按钮办理；也可直接回复「${replyForm('complete', first)}」「延期 ${first} 至X月X日 原因」。`;
  return {
    card_type: 'button_interaction',
    source: { desc: '督办系统', desc_color: msg.level === 'red' ? 2 : 0 },
    main_title: { title: `今日督办 · ${formatShanghai(msg.at).slice(0, 10)}`, desc: clip(unit, 30) },
    // The message as the other channels carry it, cut to what a card shows: its items' own words.
    quote_area: { type: 0, quote_text: clip(msg.text, 600) },
    sub_title_text: more > 0 ? `另有 ${more} 项（${codes.length > rows.length ? `编号 ${codes.slice(rows.length, rows.length + 12).join('、')}${more > 12 ? ' 等' : ''}` : '未逐条列出'}），回复「我的任务」查看。${hint}` : hint,
    horizontal_content_list: rows,
    button_list: buttonsFor(codes),
    task_id: cardTaskId(msg.key, userid),
  };
}

/** The card after a click: who did what and what now stands, with the same buttons (the other duties stay clickable). */
export function clickedCard(taskId: string, key: CardKey, who: string, answerText: string, at: number): TemplateCard {
  return {
    card_type: 'button_interaction',
    source: { desc: '督办系统' },
    main_title: { title: '督办办理结果', desc: clip(`${who} · ${formatShanghai(at).slice(5, 16)}`, 30) },
    sub_title_text: clip(answerText, 300),
    button_list: buttonsFor(key.codes),
    task_id: taskId,
  };
}

// ——— a click as WeCom delivers it ———

/**
 * types/event.d.ts puts event_key and task_id on `event`; the server's frames (and the callback mode's, 文档 101027)
 * nest them in `event.template_card_event`. Both are read, the nested one first.
 */
const cardEventBody = z.looseObject({
  msgid: z.string().min(1),
  chatid: z.string().min(1).optional(),
  chattype: z.enum(['single', 'group']).optional(),
  from: z.looseObject({ userid: z.string().min(1) }),
  msgtype: z.literal('event'),
  event: z.looseObject({
    eventtype: z.literal('template_card_event'),
    event_key: z.string().optional(),
    task_id: z.string().optional(),
    template_card_event: z.looseObject({ event_key: z.string().optional(), task_id: z.string().optional(), card_type: z.string().optional() }).optional(),
  }),
});

export interface CardClick {
  /** The event's msgid: a click delivered twice acts once. */
  messageId: string;
  userid: string;
  /** Where an answer goes when the card cannot be updated in place: the group, or the person one to one. */
  conversationId: string;
  taskId: string;
  key: CardKey;
}

export type ParsedClick = { ok: true; click: CardClick } | { ok: false; reason: string };

export function parseCardClick(body: unknown): ParsedClick {
  const parsed = cardEventBody.safeParse(body);
  if (!parsed.success) return { ok: false, reason: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') };
  const e = parsed.data;
  const rawKey = e.event.template_card_event?.event_key ?? e.event.event_key;
  const taskId = e.event.template_card_event?.task_id ?? e.event.task_id;
  if (!rawKey || !taskId) return { ok: false, reason: 'a card event without event_key or task_id' };
  const key = parseKey(rawKey);
  if (!key) return { ok: false, reason: `not a duban button key: ${rawKey.slice(0, 60)}` };
  return { ok: true, click: { messageId: e.msgid, userid: e.from.userid, conversationId: e.chattype === 'group' && e.chatid ? e.chatid : e.from.userid, taskId, key } };
}

/** What a click says back: the reply path's answer, and the card drawn again with it. */
export interface ClickAnswer {
  text: string;
  card: TemplateCard;
}

/** 「延期」 needs a date and a reason: the form to type, never a date guessed for the person. */
export function extensionHow(code: string): string {
  return `申请延期需写明日期和原因，请回复：延期 ${code} 至X月X日 原因（例如「延期 ${code} 至7月15日 等待上级批复」）。`;
}

/**
 * A click through the one reply path, as the reply its button stands for typed by the clicker (`收到 4`): the same
 * grammar, resolver and Updates, each Update's id `wecom:<event msgid>` (one per code for 全部收到), so a click
 * delivered again — even after a restart — acts once.
 */
export async function answerClick(ctx: ReplyContext, click: CardClick): Promise<ClickAnswer> {
  const who = { id: click.userid, name: click.userid, channel: 'wecom' as const };
  const { key } = click;
  const say = async (text: string, messageId: string) => (await answer(ctx, who, text, false, { messageId })) ?? '';
  let text: string;
  if (key.act === 'ack' || key.act === 'done') text = await say(`${key.act === 'ack' ? '收到' : '完成'} ${key.code}`, `wecom:${click.messageId}`);
  else if (key.act === 'ackall') {
    // Each listed duty by its own code: never 「全部收到」 typed, which would also take duties the card did not show.
    const lines: string[] = [];
    for (const code of key.codes) lines.push(await say(`收到 ${code}`, `wecom:${click.messageId}:${code}`));
    text = lines.filter(Boolean).join('\n');
  } else if (key.act === 'ext') text = extensionHow(key.code!);
  else if (key.act === 'done?') text = `本卡片有 ${key.codes.length} 项（编号 ${key.codes.join('、')}），请回复要报办结的一项，例如「${replyForm('complete', key.codes[0]!)}」。`;
  else text = `本卡片有 ${key.codes.length} 项（编号 ${key.codes.join('、')}）。${extensionHow(key.codes[0]!)}`;
  const person = identify(ctx.directory, who)?.person ?? click.userid;
  return { text, card: clickedCard(click.taskId, key, person, text, (ctx.now ?? Date.now)()) };
}
