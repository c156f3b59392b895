/**
 * The WeCom smart robot's long-connection frames (企业微信智能机器人 · 长连接), parsed and built without I/O (the
 * connection is in wecom-robot.ts). The contract is the official SDK's (@wecom/aibot-node-sdk 1.0.7): its
 * `WsCmd` names the commands, types/message.d.ts and types/event.d.ts the callback bodies, types/api.d.ts the
 * reply bodies and the template card, client.ts how each reply is framed:
 * - in: `{cmd: 'aibot_msg_callback' | 'aibot_event_callback', headers: {req_id}, body: {msgid, chattype, from: {userid}, …}}`;
 * - out, bound to an incoming frame by its req_id: `aibot_respond_msg` (a stream message, here finished at once),
 *   `aibot_respond_welcome_msg` (within 5 s of enter_chat);
 * - out, on our own: `aibot_send_msg` `{chatid, msgtype: 'markdown', …}` (chatid: the group's, or the person's
 *   userid one to one).
 * Each frame we send is acknowledged by one without cmd, `{headers: {req_id}, errcode, errmsg}`.
 */
import { z } from 'zod';
import type { Heard } from './platform';

export type Parsed<T> = { ok: true; value: T } | { ok: false; reason: string; /** Said back, when the person should know why nothing happened. */ answer?: string };

const issues = (e: z.ZodError) => e.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');

// ——— what is heard ———

const textContent = z.looseObject({ content: z.string() });

/** types/message.d.ts BaseMessage with the text-bearing parts duban reads (text, mixed, voice) and the quote. */
const messageBody = z.looseObject({
  msgid: z.string().min(1),
  aibotid: z.string().optional(),
  /** Only in a group. */
  chatid: z.string().min(1).optional(),
  chattype: z.enum(['single', 'group']),
  from: z.looseObject({ userid: z.string().min(1) }),
  create_time: z.number().optional(),
  msgtype: z.string(),
  text: textContent.optional(),
  mixed: z.looseObject({ msg_item: z.array(z.looseObject({ msgtype: z.string(), text: textContent.optional() })) }).optional(),
  /** A quote-reply: what was quoted is here, never in text.content. */
  quote: z.looseObject({ msgtype: z.string(), text: textContent.optional() }).optional(),
});

export interface RobotMessage {
  heard: Heard;
  /** The sender's userid (also `heard.from.id`), to address a late answer to. */
  userid: string;
  /** The quoted message of a quote-reply: kept apart, never read as the command. */
  quoted?: string;
}

/**
 * A group message reaches the robot only when it @-mentions it, and its text starts (or ends) with that
 * mention: `@督办助手 完成 4`. The mention is not the person's words (at the end it would become the note).
 * Only leading and trailing mentions go: an address inside a note (`已发 a@b.com`) stays.
 */
export function withoutMentions(text: string): string {
  return text
    .replace(/^(?:\s*@[^\s@]+)+[\s\u2005]*/u, '')
    .replace(/(?:[\s\u2005]+@[^\s@]+)+\s*$/u, '')
    .trim();
}

export const VOICE_ANSWER = '语音消息无法受理，请用文字回复，例如「收到 4」「完成 4 情况说明」。';

/** An aibot_msg_callback body as a `Heard`: the person's own words only, the quote apart. */
export function parseMessage(body: unknown): Parsed<RobotMessage> {
  const parsed = messageBody.safeParse(body);
  if (!parsed.success) return { ok: false, reason: issues(parsed.error) };
  const m = parsed.data;
  const inGroup = m.chattype === 'group';
  if (inGroup && !m.chatid) return { ok: false, reason: 'a group message without chatid' };
  const text =
    m.msgtype === 'text'
      ? m.text?.content
      : m.msgtype === 'mixed'
        ? (m.mixed?.msg_item ?? []).flatMap((i) => (i.msgtype === 'text' && i.text ? [i.text.content] : [])).join('\n')
        : undefined;
  // A voice message arrives as its transcription: a misheard 四 could act on the wrong duty, so it does not act.
  if (m.msgtype === 'voice') return { ok: false, reason: 'a voice message', answer: VOICE_ANSWER };
  if (text === undefined) return { ok: false, reason: `msgtype ${m.msgtype} carries no text` };
  const quoted = m.quote?.text?.content;
  return {
    ok: true,
    value: {
      heard: {
        channel: 'wecom',
        messageId: m.msgid,
        // The callback names the sender by userid only; startWecomRobot puts the directory's name here.
        from: { id: m.from.userid, name: m.from.userid },
        text: withoutMentions(text),
        inGroup,
        conversationId: inGroup ? m.chatid! : m.from.userid,
      },
      userid: m.from.userid,
      ...(quoted ? { quoted } : {}),
    },
  };
}

/** types/event.d.ts EventMessage: eventtype enter_chat | template_card_event | feedback_event | disconnected_event. */
const eventBody = z.looseObject({
  msgid: z.string().min(1),
  create_time: z.number().optional(),
  aibotid: z.string().optional(),
  chatid: z.string().min(1).optional(),
  chattype: z.enum(['single', 'group']).optional(),
  from: z.looseObject({ userid: z.string().min(1), corpid: z.string().optional() }),
  msgtype: z.literal('event'),
  event: z.looseObject({ eventtype: z.string(), event_key: z.string().optional(), task_id: z.string().optional() }),
});
export type RobotEvent = z.infer<typeof eventBody>;

export function parseEvent(body: unknown): Parsed<RobotEvent> {
  const parsed = eventBody.safeParse(body);
  return parsed.success ? { ok: true, value: parsed.data } : { ok: false, reason: issues(parsed.error) };
}

// ——— what is said ———

/** types/api.d.ts StreamReplyBody: content is at most 20,480 bytes of UTF-8. */
export const STREAM_MAX_BYTES = 20_480;

export function clipBytes(text: string, max = STREAM_MAX_BYTES): string {
  if (Buffer.byteLength(text) <= max) return text;
  let out = '';
  for (const ch of text) {
    if (Buffer.byteLength(out + ch + '…') > max) break;
    out += ch;
  }
  return `${out}…`;
}

export const WELCOME = '您好，这里是督办机器人。回复「我的任务」查看本单位待办，回复「帮助」查看回复格式；在群里请先 @我。';
