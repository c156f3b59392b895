/**
 * DingTalk Stream mode's frames and payloads, parsed and built without I/O (the connection is in
 * dingtalk-stream.ts). The contract is the official SDK's (dingtalk-stream 2.1.5): its constants and types
 * name the topics and the robot message's fields, its client.mjs the frames — a downstream frame
 * `{specVersion, type: SYSTEM|EVENT|CALLBACK, headers: {messageId, topic, …}, data: <JSON string>}`, an answer
 * `{code: 200, headers: {contentType, messageId}, message: 'OK', data: <JSON string>}`.
 */
import { TOPIC_CARD, TOPIC_ROBOT } from 'dingtalk-stream/constants';
import { z } from 'zod';
import type { Heard } from './platform';

export { TOPIC_CARD, TOPIC_ROBOT };

/** What the open-connection call subscribes to: robot messages and card callbacks, nothing else. */
export const SUBSCRIPTIONS = [
  { type: 'CALLBACK', topic: TOPIC_ROBOT },
  { type: 'CALLBACK', topic: TOPIC_CARD },
] as const;

export const openConnectionResponse = z.object({ endpoint: z.string().regex(/^wss?:\/\//, 'endpoint 应为 ws(s):// 地址'), ticket: z.string().min(1) });
export type OpenConnection = z.infer<typeof openConnectionResponse>;

export function openConnectionBody(clientId: string, clientSecret: string, ua: string) {
  return { clientId, clientSecret, ua, subscriptions: SUBSCRIPTIONS };
}

/** The WebSocket address: the endpoint with the one-time ticket (client.mjs: `${endpoint}?ticket=${ticket}`). */
export function streamUrl(c: OpenConnection): string {
  return `${c.endpoint}${c.endpoint.includes('?') ? '&' : '?'}ticket=${encodeURIComponent(c.ticket)}`;
}

const frameSchema = z.object({
  specVersion: z.string().optional(),
  type: z.string(),
  headers: z.looseObject({ messageId: z.string().optional(), topic: z.string().optional() }),
  data: z.string().optional(),
});
export type Frame = z.infer<typeof frameSchema>;

export function parseFrame(raw: string): Frame | undefined {
  try {
    const parsed = frameSchema.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** The answer to a SYSTEM ping: the ping's own headers and data back, code 200 (client.mjs onSystem). */
export function pongFrame(ping: Frame): string {
  return JSON.stringify({ code: 200, headers: ping.headers, message: 'OK', data: ping.data ?? '' });
}

/**
 * The ACK of a CALLBACK or EVENT frame, by its `headers.messageId`: without one the gateway pushes the frame
 * again (client.mjs socketCallBackResponse: "如果消息长时间未响应会在一定时间内(60s)重试推消息"). A callback's
 * answer is `{response: …}` (for a card, how to update it).
 */
export function ackFrame(messageId: string, data: unknown): string {
  return JSON.stringify({ code: 200, headers: { contentType: 'application/json', messageId }, message: 'OK', data: JSON.stringify(data) });
}

const repliedSchema = z.looseObject({ msgId: z.string().optional(), content: z.looseObject({ text: z.string().optional() }).optional() });

/** constants.d.ts RobotMessageBase, with the optional parts real messages carry (@-list, rich text, a quote). */
const robotMessageSchema = z.looseObject({
  msgId: z.string().min(1),
  msgtype: z.string(),
  conversationId: z.string().min(1),
  /** '1' one to one, '2' a group. */
  conversationType: z.enum(['1', '2']),
  senderId: z.string(),
  /** The sender's userid in the county's organisation (absent for people outside it). */
  senderStaffId: z.string().min(1).optional(),
  senderNick: z.string().default(''),
  sessionWebhook: z.url(),
  /** When the sessionWebhook stops working, in epoch milliseconds. */
  sessionWebhookExpiredTime: z.coerce.number(),
  createAt: z.coerce.number().optional(),
  isInAtList: z.boolean().optional(),
  text: z
    .looseObject({
      content: z.string().default(''),
      /** A quote-reply: the quoted message is in repliedMsg, never in content. */
      isReplyMsg: z.boolean().optional(),
      repliedMsg: repliedSchema.optional(),
    })
    .optional(),
  content: z.looseObject({ richText: z.array(z.looseObject({ text: z.string().optional() })).optional() }).optional(),
  /** An older form of the quote. */
  quoteMessage: z.looseObject({ text: z.looseObject({ content: z.string().optional() }).optional() }).optional(),
});

export interface RobotMessage {
  heard: Heard;
  /** Where the answer goes in place, and until when it may. */
  webhook: { url: string; expiresAt: number };
  /** The sender's userid, to @ in a group answer and to post to when the webhook has expired. */
  staffId?: string;
  /** The quoted message of a quote-reply: kept apart, never read as the command. */
  quoted?: string;
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; reason: string };

/** A robot message (topic /v1.0/im/bot/messages/get) as a `Heard`, the person's own text only. */
export function parseRobotMessage(data: string | undefined): Parsed<RobotMessage> {
  let json: unknown;
  try {
    json = JSON.parse(data ?? '');
  } catch {
    return { ok: false, reason: 'data is not JSON' };
  }
  const parsed = robotMessageSchema.safeParse(json);
  if (!parsed.success) return { ok: false, reason: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') };
  const m = parsed.data;
  const inGroup = m.conversationType === '2';
  // In a group the robot hears only @-mentions; a message not addressed to it is not acted on.
  if (inGroup && m.isInAtList === false) return { ok: false, reason: 'a group message not addressed to the robot' };
  const text =
    m.msgtype === 'text'
      ? (m.text?.content ?? '')
      : m.msgtype === 'richText'
        ? (m.content?.richText ?? []).map((p) => p.text ?? '').join('')
        : undefined;
  if (text === undefined) return { ok: false, reason: `msgtype ${m.msgtype} carries no text` };
  const quoted = m.text?.isReplyMsg ? m.text.repliedMsg?.content?.text : m.quoteMessage?.text?.content;
  return {
    ok: true,
    value: {
      heard: {
        channel: 'dingtalk',
        messageId: m.msgId,
        from: { id: m.senderStaffId ?? m.senderId, name: m.senderNick },
        text: text.trim(),
        inGroup,
        conversationId: m.conversationId,
      },
      webhook: { url: m.sessionWebhook, expiresAt: m.sessionWebhookExpiredTime },
      ...(m.senderStaffId ? { staffId: m.senderStaffId } : {}),
      ...(quoted ? { quoted } : {}),
    },
  };
}

/**
 * The buttons of duban's card: each carries, in its callback parameters, what it does and the duty's reply code
 * (`{duban_action: 'acknowledge' | 'complete', duban_code: '4'}`). A click is the reply those words make.
 */
export const CARD_VERB = { acknowledge: '收到', complete: '完成' } as const;
/** The card's user-private variable that shows the clicker duban's answer. */
export const CARD_ANSWER_KEY = 'duban_answer';

const cardPrivateSchema = z.object({
  cardPrivateData: z.looseObject({
    actionIds: z.array(z.string()).optional(),
    params: z.looseObject({ duban_action: z.enum(['acknowledge', 'complete']), duban_code: z.string().trim().min(1) }),
  }),
});

/** The card callback payload (topic /v1.0/card/instances/callback): `value`/`content` are JSON strings. */
const cardCallbackSchema = z.looseObject({
  type: z.string().optional(),
  userId: z.string().min(1),
  /** 1: userId is the userid, 2: a unionId. */
  userIdType: z.coerce.number().optional(),
  outTrackId: z.string().min(1),
  corpId: z.string().optional(),
  value: z.string().optional(),
  content: z.string().optional(),
});

export interface CardClick {
  heard: Heard;
  outTrackId: string;
  action: keyof typeof CARD_VERB;
}

/** A click on one of duban's card buttons, as the reply it stands for; `frameId` names the click (no msgId here). */
export function parseCardCallback(data: string | undefined, frameId: string): Parsed<CardClick> {
  let json: unknown;
  try {
    json = JSON.parse(data ?? '');
  } catch {
    return { ok: false, reason: 'data is not JSON' };
  }
  const parsed = cardCallbackSchema.safeParse(json);
  if (!parsed.success) return { ok: false, reason: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') };
  const c = parsed.data;
  let privateData: unknown;
  try {
    privateData = JSON.parse(c.value ?? c.content ?? '');
  } catch {
    return { ok: false, reason: 'card value is not JSON' };
  }
  const button = cardPrivateSchema.safeParse(privateData);
  if (!button.success) return { ok: false, reason: 'not a duban button (no duban_action / duban_code)' };
  const { duban_action: action, duban_code: code } = button.data.cardPrivateData.params;
  return {
    ok: true,
    value: {
      heard: {
        channel: 'dingtalk',
        messageId: `card:${frameId}`,
        // identify() matches the directory's dingtalk id against either, so a unionId (userIdType 2) is as good.
        from: { id: c.userId, name: c.userId },
        text: `${CARD_VERB[action]} ${code}`,
        // A click is addressed to the robot, as a one-to-one message is: it is always answered.
        inGroup: false,
        conversationId: c.outTrackId,
      },
      outTrackId: c.outTrackId,
      action,
    },
  };
}

/** The card callback's answer: duban's words in the clicker's own view of the card. */
export function cardResponse(answer: string): unknown {
  return {
    response: {
      cardUpdateOptions: { updatePrivateDataByKey: true },
      userPrivateData: { cardParamMap: { [CARD_ANSWER_KEY]: answer } },
    },
  };
}

/** A text answer through the sessionWebhook; in a group it @-mentions the sender by userid. */
export function webhookBody(text: string, atUserId?: string) {
  return { msgtype: 'text', text: { content: text }, ...(atUserId ? { at: { atUserIds: [atUserId] } } : {}) };
}
