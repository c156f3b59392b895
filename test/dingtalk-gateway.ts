/**
 * A local DingTalk Stream gateway implementing the contract the official SDK (dingtalk-stream 2.1.5) speaks,
 * errors included, on one loopback HTTP server:
 * - POST /v1.0/gateway/connections/open {clientId, clientSecret, ua, subscriptions} → {endpoint, ticket}; wrong
 *   credentials → HTTP 401 {requestid, code: 'authFailed', message: '鉴权失败'} (as api.dingtalk.com answers);
 *   without `Accept: application/json` an XML body (client.mjs: "否则默认返回的会是xml").
 * - the WebSocket `<endpoint>?ticket=…`: a ticket works once; an unknown one is refused (HTTP 401 on upgrade).
 * - frames: SYSTEM ping (answered by a pong with the same messageId), SYSTEM disconnect (the connection is
 *   closed after a grace period), CALLBACK (robot messages, card callbacks) pushed again while un-ACKed — on
 *   the newest connection, every `redeliverMs` — and an ACK `{code: 200, headers.messageId}` settles it.
 * - each robot message's sessionWebhook: POST /robot/sendBySession/<token> records the answer; after its
 *   expiry it answers errcode 300001 (invalid session).
 * - the robot's OpenAPI: POST /v1.0/oauth2/accessToken, /v1.0/robot/oToMessages/batchSend,
 *   /v1.0/robot/groupMessages/send (header x-acs-dingtalk-access-token).
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';

export interface GatewayFrame {
  code?: number;
  type?: string;
  headers: { messageId?: string; topic?: string; [k: string]: unknown };
  message?: string;
  data?: string;
}

export interface Connection {
  id: number;
  socket: WebSocket;
  /** Every frame the client sent on it (pongs and ACKs). */
  received: GatewayFrame[];
  closed: boolean;
}

export interface WebhookPost {
  token: string;
  body: { msgtype: string; text?: { content: string }; at?: { atUserIds?: string[] } };
  errcode: number;
}

export interface ApiPost {
  path: string;
  token: string | undefined;
  body: Record<string, unknown>;
}

export interface Delivery {
  frameId: string;
  /** How many times the frame was pushed. */
  pushes: number;
  /** The ACK that settled it, and on which connection. */
  acked: Promise<{ frame: GatewayFrame; connection: number }>;
}

export interface DingtalkGateway {
  /** The server's origin: the OpenAPI base (DUBAN_DINGTALK_API_URL). */
  origin: string;
  /** The open-connection address (DUBAN_DINGTALK_GATEWAY_URL). */
  gatewayUrl: string;
  opens: { status: number; body: unknown }[];
  connections: Connection[];
  webhookPosts: WebhookPost[];
  apiPosts: ApiPost[];
  /** The newest open connection (waits for one). */
  current(): Promise<Connection>;
  /** Pushes a CALLBACK frame on the newest connection; pushed again until ACKed. */
  deliver(topic: string, data: object, frameId?: string): Delivery;
  /** A SYSTEM ping; resolves with the client's pong. */
  ping(): Promise<GatewayFrame>;
  /** A SYSTEM disconnect on the newest connection, closed `graceMs` later. */
  disconnect(graceMs?: number): Promise<Connection>;
  /** Ends the newest connection without a word (a network drop). */
  drop(): Promise<Connection>;
  /** Stops reading the newest connection (a half-open connection: no pong comes back). */
  freeze(): Promise<Connection>;
  /** A sessionWebhook valid for `ms` (negative: expired already). */
  webhook(ms?: number): { url: string; expiresAt: number };
  close(): Promise<void>;
}

export const TEST_CLIENT = { clientId: 'dinglocaltestapp', clientSecret: 'local-test-secret' };

export async function startDingtalkGateway(options: { redeliverMs?: number; port?: number } = {}): Promise<DingtalkGateway> {
  const redeliverMs = options.redeliverMs ?? 500;
  const tickets = new Set<string>();
  const webhooks = new Map<string, number>();
  const tokens = new Set<string>();
  const opens: DingtalkGateway['opens'] = [];
  const connections: Connection[] = [];
  const webhookPosts: WebhookPost[] = [];
  const apiPosts: ApiPost[] = [];
  const waiting: ((c: Connection) => void)[] = [];
  const pending = new Map<string, { frame: string; settle: (a: { frame: GatewayFrame; connection: number }) => void; timer: NodeJS.Timeout }>();
  const pongs = new Map<string, (f: GatewayFrame) => void>();
  let origin = '';

  const json = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const readBody = (req: IncomingMessage) =>
    new Promise<string>((resolve) => {
      let raw = '';
      req.on('data', (c: Buffer) => (raw += c.toString('utf8')));
      req.on('end', () => resolve(raw));
    });

  const server: Server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', origin);
      const raw = await readBody(req);
      let body: Record<string, unknown>;
      try {
        body = raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
      } catch {
        return json(res, 400, { code: 'InvalidParameter', message: 'body is not JSON' });
      }
      if (req.method === 'POST' && url.pathname === '/v1.0/gateway/connections/open') {
        if (!String(req.headers.accept ?? '').includes('application/json')) {
          opens.push({ status: 200, body });
          res.writeHead(200, { 'content-type': 'application/xml' });
          return res.end('<xml><endpoint/></xml>');
        }
        if (body.clientId !== TEST_CLIENT.clientId || body.clientSecret !== TEST_CLIENT.clientSecret) {
          opens.push({ status: 401, body });
          return json(res, 401, { requestid: randomUUID(), code: 'authFailed', message: '鉴权失败' });
        }
        const subs = body.subscriptions as { type?: string; topic?: string }[] | undefined;
        if (!Array.isArray(subs) || !subs.length) {
          opens.push({ status: 400, body });
          return json(res, 400, { requestid: randomUUID(), code: 'InvalidParameter', message: 'subscriptions is empty' });
        }
        const ticket = randomUUID();
        tickets.add(ticket);
        opens.push({ status: 200, body });
        return json(res, 200, { endpoint: `${origin.replace(/^http/, 'ws')}/connect`, ticket });
      }
      if (req.method === 'POST' && url.pathname.startsWith('/robot/sendBySession/')) {
        const token = url.pathname.slice('/robot/sendBySession/'.length);
        const expiresAt = webhooks.get(token);
        const errcode = expiresAt === undefined || expiresAt <= Date.now() ? 300001 : 0;
        webhookPosts.push({ token, body: body as unknown as WebhookPost['body'], errcode });
        return json(res, 200, errcode ? { errcode, errmsg: 'invalid session' } : { errcode: 0, errmsg: 'ok' });
      }
      if (req.method === 'POST' && url.pathname === '/v1.0/oauth2/accessToken') {
        if (body.appKey !== TEST_CLIENT.clientId || body.appSecret !== TEST_CLIENT.clientSecret) {
          return json(res, 400, { requestid: randomUUID(), code: 'invalidClientIdOrSecret', message: '无效的clientId或者clientSecret' });
        }
        const token = randomUUID();
        tokens.add(token);
        return json(res, 200, { accessToken: token, expireIn: 7200 });
      }
      if (req.method === 'POST' && (url.pathname === '/v1.0/robot/oToMessages/batchSend' || url.pathname === '/v1.0/robot/groupMessages/send')) {
        const token = req.headers['x-acs-dingtalk-access-token'] as string | undefined;
        if (!token || !tokens.has(token)) return json(res, 401, { requestid: randomUUID(), code: 'InvalidAuthentication', message: '不合法的access_token' });
        apiPosts.push({ path: url.pathname, token, body });
        return json(res, 200, { processQueryKey: randomUUID() });
      }
      json(res, 404, { code: 'NotFound', message: url.pathname });
    })();
  });

  const wss = new WebSocketServer({ noServer: true });
  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    const url = new URL(req.url ?? '/', origin);
    const ticket = url.searchParams.get('ticket') ?? '';
    if (url.pathname !== '/connect' || !tickets.delete(ticket)) {
      socket.end('HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      const conn: Connection = { id: connections.length + 1, socket: ws, received: [], closed: false };
      connections.push(conn);
      ws.on('message', (data) => {
        const frame = JSON.parse(String(data)) as GatewayFrame;
        conn.received.push(frame);
        const id = frame.headers?.messageId;
        if (!id) return;
        pongs.get(id)?.(frame);
        pongs.delete(id);
        const p = pending.get(id);
        if (p && frame.code === 200) {
          clearInterval(p.timer);
          pending.delete(id);
          p.settle({ frame, connection: conn.id });
        }
      });
      ws.on('close', () => (conn.closed = true));
      for (const w of waiting.splice(0)) w(conn);
    });
  });

  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('no address');
  origin = `http://127.0.0.1:${address.port}`;

  const newest = () => [...connections].reverse().find((c) => !c.closed && c.socket.readyState === WebSocket.OPEN);
  const current = () => {
    const c = newest();
    return c ? Promise.resolve(c) : new Promise<Connection>((resolve) => waiting.push(resolve));
  };
  const push = (frame: string) => newest()?.socket.send(frame);

  return {
    origin,
    gatewayUrl: `${origin}/v1.0/gateway/connections/open`,
    opens,
    connections,
    webhookPosts,
    apiPosts,
    current,
    deliver(topic, data, frameId = randomUUID()) {
      const frame = JSON.stringify({
        specVersion: '1.0',
        type: 'CALLBACK',
        headers: { appId: 'local', connectionId: 'local', contentType: 'application/json', messageId: frameId, time: String(Date.now()), topic },
        data: JSON.stringify(data),
      });
      const delivery: Delivery = { frameId, pushes: 0, acked: undefined as never };
      delivery.acked = new Promise((settle) => {
        const send = () => {
          if (newest()) delivery.pushes++;
          push(frame);
        };
        const timer = setInterval(send, redeliverMs);
        pending.set(frameId, { frame, settle, timer });
        send();
      });
      return delivery;
    },
    async ping() {
      const conn = await current();
      const messageId = randomUUID();
      const pong = new Promise<GatewayFrame>((resolve, reject) => {
        pongs.set(messageId, resolve);
        setTimeout(() => reject(new Error('no pong within 2 s')), 2_000).unref();
      });
      conn.socket.send(JSON.stringify({ specVersion: '1.0', type: 'SYSTEM', headers: { messageId, topic: 'ping', contentType: 'application/json', time: String(Date.now()) }, data: JSON.stringify({ opaque: messageId }) }));
      return pong;
    },
    async disconnect(graceMs = 300) {
      const conn = await current();
      conn.socket.send(JSON.stringify({ specVersion: '1.0', type: 'SYSTEM', headers: { messageId: randomUUID(), topic: 'disconnect', contentType: 'application/json' }, data: JSON.stringify({ reason: 'gateway restart' }) }));
      conn.closed = true; // nothing more is pushed on it
      setTimeout(() => conn.socket.close(), graceMs);
      return conn;
    },
    async drop() {
      const conn = await current();
      conn.closed = true;
      conn.socket.terminate();
      return conn;
    },
    async freeze() {
      const conn = await current();
      conn.closed = true;
      (conn.socket as unknown as { _socket: Socket })._socket.pause();
      return conn;
    },
    webhook(ms = 60 * 60_000) {
      const token = randomUUID();
      const expiresAt = Date.now() + ms;
      webhooks.set(token, expiresAt);
      return { url: `${origin}/robot/sendBySession/${token}`, expiresAt };
    },
    async close() {
      for (const p of pending.values()) clearInterval(p.timer);
      for (const c of connections) c.socket.terminate();
      wss.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A robot message payload with the fields the SDK's RobotMessage names (constants.d.ts) and the optional ones. */
export function robotMessage(
  gw: DingtalkGateway,
  m: { text: string; staffId?: string; nick?: string; group?: boolean; msgId?: string; webhookMs?: number; quoted?: string; conversationId?: string },
) {
  const webhook = gw.webhook(m.webhookMs);
  const group = m.group ?? false;
  return {
    conversationId: m.conversationId ?? (group ? 'cidGroupLocal==' : `cid-single-${m.staffId ?? 'x'}`),
    chatbotCorpId: 'dinglocalcorp',
    chatbotUserId: '$:LWCP_v1:$robot',
    msgId: m.msgId ?? `msg${randomUUID()}`,
    senderNick: m.nick ?? '测试用户',
    isAdmin: false,
    ...(m.staffId ? { senderStaffId: m.staffId } : {}),
    sessionWebhookExpiredTime: webhook.expiresAt,
    createAt: Date.now(),
    senderCorpId: 'dinglocalcorp',
    conversationType: group ? '2' : '1',
    senderId: `$:LWCP_v1:$${m.staffId ?? 'outsider'}`,
    sessionWebhook: webhook.url,
    robotCode: TEST_CLIENT.clientId,
    msgtype: 'text',
    ...(group ? { isInAtList: true, conversationTitle: '督办工作群', atUsers: [{ dingtalkId: '$:LWCP_v1:$robot' }] } : {}),
    text: {
      // A group @-mention arrives with the robot's name taken out, leaving its space.
      content: group ? ` ${m.text}` : m.text,
      ...(m.quoted ? { isReplyMsg: true, repliedMsg: { msgId: `msg${randomUUID()}`, msgType: 'text', senderId: '$:LWCP_v1:$robot', content: { text: m.quoted } } } : {}),
    },
  };
}

/** A click on a duban card button (topic /v1.0/card/instances/callback), as the card platform reports it. */
export function cardClick(m: { userId: string; action: 'acknowledge' | 'complete'; code: string; outTrackId?: string }) {
  const value = JSON.stringify({ cardPrivateData: { actionIds: [`duban_${m.action}`], params: { duban_action: m.action, duban_code: m.code } } });
  return { extension: '{}', corpId: 'dinglocalcorp', spaceType: 'IM', userIdType: 1, type: 'actionCallback', userId: m.userId, content: value, spaceId: 'cidGroupLocal==', outTrackId: m.outTrackId ?? randomUUID(), value };
}
