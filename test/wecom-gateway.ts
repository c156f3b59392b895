/**
 * A local WeCom smart-robot long-connection server with the real contract's frames (as @wecom/aibot-node-sdk
 * 1.0.7 speaks it): `aibot_subscribe` with bot_id and secret answered by errcode 0 or a refusal; `ping` answered;
 * callbacks pushed with a req_id; `aibot_respond_msg` accepted only for a req_id pushed on that connection and
 * not expired (846605 invalid req_id otherwise), with a stream body of at most 20,480 bytes; `aibot_respond_welcome_msg`
 * within 5 s of an enter_chat; `aibot_send_msg` to a chatid; a second connection of the same robot takes it over
 * (the first gets a `disconnected_event` and is closed). Every frame we answer carries the req_id it answers.
 *
 * Template cards (文档 101032, 101027, 101031): `aibot_send_msg` with a `template_card` is refused (40058) unless its
 * task_id is [A-Za-z0-9_-@]{1,128} and new for this robot, it has at most 6 buttons whose keys are unique and at
 * most 1,024 bytes; a click is an `aibot_event_callback` with `event.template_card_event: {card_type, event_key,
 * task_id}` and its own msgid; `aibot_respond_update_msg` answers only such a click, within 5 s and once, with
 * `response_type: update_template_card` and the clicked card's task_id (846605 / 40058 otherwise).
 */
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

export const TEST_BOT = { botId: 'aib-test-duban', secret: 'test-secret' };

export interface Sent {
  cmd: string;
  reqId: string;
  body: Record<string, unknown>;
  /** The answer's text: stream content, markdown content or welcome text. */
  text: string;
}

export interface SentCard {
  chatid: string;
  card: { task_id: string; card_type: string; button_list?: { text: string; key: string }[]; [k: string]: unknown };
}

export interface WecomGateway {
  url: string;
  /** Template cards accepted by aibot_send_msg, in order. */
  cards: SentCard[];
  /** Clicks a button of a card this robot sent, as the clicker `userid`; resolves with the event's req_id. */
  click(card: SentCard, buttonText: string, over?: { userid?: string; msgid?: string }): string;
  /** Frames the robot sent (replies, welcomes, posts), in order, accepted or not. */
  sent: Sent[];
  /** Connections that authenticated, in order. */
  authenticated: number;
  refusedAuth: number;
  /** Pushes a callback to the newest authenticated connection; resolves with its req_id. */
  push(cmd: 'aibot_msg_callback' | 'aibot_event_callback', body: Record<string, unknown>): string;
  /** The accepted answer to a pushed frame (by its req_id), waited for up to ms. */
  answerTo(reqId: string, ms?: number): Promise<Sent>;
  /** Makes req_ids as old as ms or older invalid (846605); 0 refuses every passive reply. */
  expireReqIdsAfter(ms: number): void;
  /** Refuses every subscribe with 40001 while on (the platform refusing good credentials for a while). */
  refuseAuth(on: boolean): void;
  /** Drops every connection: a network cut (no close frame), or the server closing the socket (1001 going away). */
  drop(how?: 'terminate' | 'close'): void;
  /** Every connection goes silent: frames from the robot are lost (no ping acks), pushes still arrive. */
  stall(): void;
  /** The next frame of `cmd` the server accepts is taken and recorded, then the connection is cut before its ack. */
  cutAfterNext(cmd: string, how: 'terminate' | 'close' | 'stall'): void;
  close(): Promise<void>;
}

interface Pushed {
  at: number;
  cmd: string;
  eventtype?: string;
  /** For a card click: the clicked card's task_id. */
  taskId?: string;
  answered: boolean;
}

const TASK_ID = /^[A-Za-z0-9_\-@]{1,128}$/;

/** Why WeCom would refuse a card, or undefined when it takes it. */
function cardProblem(card: unknown, taskIds: Set<string>): string | undefined {
  const c = card as SentCard['card'] | undefined;
  if (!c || typeof c.card_type !== 'string') return 'template_card.card_type missing';
  if (typeof c.task_id !== 'string' || !TASK_ID.test(c.task_id)) return 'invalid task_id';
  if (taskIds.has(c.task_id)) return 'task_id already used';
  const buttons = c.button_list ?? [];
  if (buttons.length > 6) return 'too many buttons';
  const keys = buttons.map((b) => b.key);
  if (new Set(keys).size !== keys.length || keys.some((k) => typeof k !== 'string' || !k || Buffer.byteLength(k) > 1024)) return 'invalid button key';
  return undefined;
}

export async function startWecomGateway(bot = TEST_BOT): Promise<WecomGateway> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((r) => wss.once('listening', () => r()));
  const sent: Sent[] = [];
  const accepted = new Map<string, Sent>();
  const waiters = new Map<string, (s: Sent) => void>();
  const pushedOn = new WeakMap<WebSocket, Map<string, Pushed>>();
  const live: WebSocket[] = [];
  const taskIds = new Set<string>();
  let expiryMs = 24 * 3600_000;
  let refusing = false;
  const stalled = new WeakSet<WebSocket>();
  let cut: { cmd: string; how: 'terminate' | 'close' | 'stall' } | undefined;
  const cutSocket = (s: WebSocket, how: 'terminate' | 'close' | 'stall') => {
    if (how === 'stall') stalled.add(s);
    else if (how === 'close') s.close(1001, 'going away');
    else s.terminate();
  };
  const gw: WecomGateway = {
    url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`,
    sent,
    cards: [],
    click(card, buttonText, over = {}) {
      const button = card.card.button_list?.find((b) => b.text === buttonText);
      if (!button) throw new Error(`no button 「${buttonText}」 on the card (${(card.card.button_list ?? []).map((b) => b.text).join('、')})`);
      return gw.push('aibot_event_callback', {
        msgid: over.msgid ?? randomUUID(),
        create_time: Math.floor(Date.now() / 1000),
        aibotid: bot.botId,
        chattype: 'single',
        from: { userid: over.userid ?? card.chatid },
        msgtype: 'event',
        event: { eventtype: 'template_card_event', template_card_event: { card_type: card.card.card_type, event_key: button.key, task_id: card.card.task_id } },
      });
    },
    authenticated: 0,
    refusedAuth: 0,
    push(cmd, body) {
      const socket = live.at(-1);
      if (!socket) throw new Error('no authenticated connection to push to');
      const reqId = `req-${randomUUID()}`;
      const event = (body.event as { eventtype?: string } | undefined)?.eventtype;
      const taskId = (body.event as { template_card_event?: { task_id?: string } } | undefined)?.template_card_event?.task_id;
      pushedOn.get(socket)!.set(reqId, { at: Date.now(), cmd, ...(event ? { eventtype: event } : {}), ...(taskId ? { taskId } : {}), answered: false });
      socket.send(JSON.stringify({ cmd, headers: { req_id: reqId }, body }));
      return reqId;
    },
    answerTo(reqId, ms = 10_000) {
      const done = accepted.get(reqId);
      if (done) return Promise.resolve(done);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no answer to ${reqId} within ${ms} ms (sent: ${sent.map((s) => s.cmd).join(', ') || 'nothing'})`)), ms);
        waiters.set(reqId, (s) => {
          clearTimeout(timer);
          resolve(s);
        });
      });
    },
    expireReqIdsAfter(ms) {
      expiryMs = ms;
    },
    refuseAuth(on) {
      refusing = on;
    },
    drop(how = 'terminate') {
      for (const s of live.splice(0)) cutSocket(s, how);
    },
    stall() {
      for (const s of live) stalled.add(s);
    },
    cutAfterNext(cmd, how) {
      cut = { cmd, how };
    },
    async close() {
      for (const s of wss.clients) s.terminate();
      await new Promise<void>((r) => wss.close(() => r()));
    },
  };

  wss.on('connection', (socket) => {
    pushedOn.set(socket, new Map());
    let authed = false;
    const ack = (reqId: string, errcode = 0, errmsg = 'ok') => socket.send(JSON.stringify({ headers: { req_id: reqId }, errcode, errmsg }));
    socket.on('close', () => {
      const i = live.indexOf(socket);
      if (i >= 0) live.splice(i, 1);
    });
    socket.on('message', (raw) => {
      if (stalled.has(socket)) return;
      let frame: { cmd?: string; headers?: { req_id?: string }; body?: Record<string, unknown> };
      try {
        frame = JSON.parse(String(raw));
      } catch {
        socket.close(1003, 'not json');
        return;
      }
      const reqId = frame.headers?.req_id ?? '';
      const body = frame.body ?? {};
      if (frame.cmd === 'aibot_subscribe') {
        if (refusing || body.bot_id !== bot.botId || body.secret !== bot.secret) {
          gw.refusedAuth++;
          return ack(reqId, 40001, 'invalid bot_id or secret');
        }
        authed = true;
        gw.authenticated++;
        // The robot belongs to the newest connection: the one before is told and closed.
        for (const old of live.splice(0)) {
          old.send(JSON.stringify({ cmd: 'aibot_event_callback', headers: { req_id: `req-${randomUUID()}` }, body: { msgid: randomUUID(), msgtype: 'event', from: { userid: 'sys' }, event: { eventtype: 'disconnected_event' } } }));
          setTimeout(() => old.close(1000, 'replaced'), 50);
        }
        live.push(socket);
        return ack(reqId);
      }
      if (!authed) return ack(reqId, 846609, 'aibot websocket not subscribed');
      if (frame.cmd === 'ping') return ack(reqId);
      const text = String(
        (body.stream as { content?: string } | undefined)?.content ?? (body.markdown as { content?: string } | undefined)?.content ?? (body.text as { content?: string } | undefined)?.content ?? (body.template_card as { sub_title_text?: string } | undefined)?.sub_title_text ?? '',
      );
      const record: Sent = { cmd: frame.cmd ?? '', reqId, body, text };
      sent.push(record);
      if (frame.cmd === 'aibot_respond_update_msg') {
        const pushed = pushedOn.get(socket)!.get(reqId);
        if (!pushed || pushed.eventtype !== 'template_card_event' || Date.now() - pushed.at > Math.min(5_000, expiryMs) || pushed.answered) return ack(reqId, 846605, 'invalid req_id');
        const card = body.template_card as { task_id?: string } | undefined;
        if (body.response_type !== 'update_template_card' || !card || card.task_id !== pushed.taskId) return ack(reqId, 40058, 'invalid template_card');
        pushed.answered = true;
      } else if (frame.cmd === 'aibot_respond_msg' || frame.cmd === 'aibot_respond_welcome_msg') {
        const pushed = pushedOn.get(socket)!.get(reqId);
        if (!pushed || Date.now() - pushed.at >= expiryMs) return ack(reqId, 846605, 'invalid req_id');
        if (frame.cmd === 'aibot_respond_welcome_msg' && (pushed.eventtype !== 'enter_chat' || Date.now() - pushed.at > 5_000 || pushed.answered)) return ack(reqId, 846605, 'invalid req_id');
        if (frame.cmd === 'aibot_respond_msg') {
          const stream = body.stream as { id?: string; content?: string } | undefined;
          if (body.msgtype !== 'stream' || !stream?.id) return ack(reqId, 40008, 'invalid message type');
          if (Buffer.byteLength(stream.content ?? '') > 20_480) return ack(reqId, 40058, 'content exceed max length');
        }
        pushed.answered = true;
      } else if (frame.cmd === 'aibot_send_msg') {
        if (typeof body.chatid !== 'string' || !body.chatid) return ack(reqId, 40003, 'invalid chatid');
        if (body.msgtype !== 'markdown' && body.msgtype !== 'template_card') return ack(reqId, 40008, 'invalid message type');
        if (body.msgtype === 'template_card') {
          const problem = cardProblem(body.template_card, taskIds);
          if (problem) return ack(reqId, 40058, problem);
          const card = body.template_card as SentCard['card'];
          taskIds.add(card.task_id);
          gw.cards.push({ chatid: String(body.chatid), card });
        }
      } else return ack(reqId, 40004, `unknown cmd ${frame.cmd}`);
      if (cut?.cmd === frame.cmd) {
        // Taken (recorded below) but never acknowledged: the robot cannot tell whether it arrived.
        const how = cut.how;
        cut = undefined;
        cutSocket(socket, how);
      } else ack(reqId);
      // A post answers no pushed frame; a reply or welcome is found by its req_id, a post by its chatid.
      const key = frame.cmd === 'aibot_send_msg' ? `chat:${String(body.chatid)}` : reqId;
      accepted.set(key, record);
      waiters.get(key)?.(record);
      waiters.delete(key);
    });
  });
  return gw;
}

/** A text message as the callback carries it: one to one, or in a group @-mentioning the robot. */
export function textMessage(over: { userid: string; text: string; chatid?: string; msgid?: string; quote?: string }): Record<string, unknown> {
  return {
    msgid: over.msgid ?? randomUUID(),
    aibotid: TEST_BOT.botId,
    chattype: over.chatid ? 'group' : 'single',
    ...(over.chatid ? { chatid: over.chatid } : {}),
    from: { userid: over.userid },
    msgtype: 'text',
    text: { content: over.text },
    ...(over.quote ? { quote: { msgtype: 'text', text: { content: over.quote } } } : {}),
  };
}
