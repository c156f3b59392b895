/**
 * WeCom's side of the smart robot's callback (URL) mode, for tests: it signs and encrypts as WeCom does (文档
 * 101033: msg_signature = sha1(sort(token, timestamp, nonce, encrypted)), AES-256-CBC with the EncodingAESKey, ReceiveId
 * ""), sends the URL verification GET with an echostr and callbacks as POST `{encrypt}`, and checks the passive reply
 * as WeCom would (its msgsignature over its own timestamp and nonce) before decrypting it. `startResponseUrls` is the
 * response_url endpoint: one markdown POST per url, errcode 0, and a refusal for a url used already.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { decrypt, encrypt, getSignature } from '@wecom/crypto';

export const TEST_CALLBACK = { token: 'dubanTestToken01', encodingAESKey: randomBytes(32).toString('base64').slice(0, 43) };

export interface PeerReply {
  status: number;
  /** The decrypted passive reply, when the body was one; undefined for an empty body. */
  reply?: Record<string, unknown>;
  raw: string;
}

export function wecomPeer(url: string, secrets = TEST_CALLBACK) {
  const signed = (payload: string, over: { signature?: string; timestamp?: string; nonce?: string } = {}) => {
    const timestamp = over.timestamp ?? String(Math.floor(Date.now() / 1000));
    const nonce = over.nonce ?? String(Math.floor(Math.random() * 1e10));
    const signature = over.signature ?? getSignature(secrets.token, timestamp, nonce, payload);
    return `msg_signature=${signature}&timestamp=${timestamp}&nonce=${nonce}`;
  };
  return {
    /** The URL verification WeCom sends when the administrator saves the address. */
    async verify(plain: string, over: { signature?: string } = {}): Promise<{ status: number; body: string }> {
      const echostr = encrypt(secrets.encodingAESKey, plain, '');
      const res = await fetch(`${url}?${signed(echostr, over)}&echostr=${encodeURIComponent(echostr)}`);
      return { status: res.status, body: await res.text() };
    },
    /** A callback: the message or event JSON encrypted, signed and POSTed; the passive reply checked and decrypted. */
    async send(message: Record<string, unknown>, over: { signature?: string; timestamp?: string; nonce?: string } = {}): Promise<PeerReply> {
      const ciphered = encrypt(secrets.encodingAESKey, JSON.stringify(message), '');
      const res = await fetch(`${url}?${signed(ciphered, over)}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ encrypt: ciphered }) });
      const raw = await res.text();
      if (res.status !== 200 || !raw) return { status: res.status, raw };
      const wrapped = JSON.parse(raw) as { encrypt: string; msgsignature: string; timestamp: string; nonce: string };
      if (getSignature(secrets.token, wrapped.timestamp, wrapped.nonce, wrapped.encrypt) !== wrapped.msgsignature) throw new Error('the passive reply’s msgsignature does not verify');
      return { status: res.status, raw, reply: JSON.parse(decrypt(secrets.encodingAESKey, wrapped.encrypt).message) as Record<string, unknown> };
    },
  };
}

/** A text message callback as WeCom sends it in callback mode (with its response_url). */
export function callbackText(over: { userid: string; text: string; msgid?: string; chatid?: string; responseUrl?: string }): Record<string, unknown> {
  return {
    msgid: over.msgid ?? randomUUID(),
    aibotid: 'aib-callback-test',
    chattype: over.chatid ? 'group' : 'single',
    ...(over.chatid ? { chatid: over.chatid } : {}),
    from: { userid: over.userid },
    ...(over.responseUrl ? { response_url: over.responseUrl } : {}),
    msgtype: 'text',
    text: { content: over.text },
  };
}

export interface ResponseUrls {
  /** A fresh response_url. */
  next(): string;
  /** What each used url received, in order. */
  posted: { url: string; body: Record<string, unknown> }[];
  /** POSTs refused because their url had been used. */
  refused: number;
  close(): Promise<void>;
}

export async function startResponseUrls(): Promise<ResponseUrls> {
  const used = new Set<string>();
  const urls: ResponseUrls = {
    next: () => `${base}/cgi-bin/aibot/response?response_code=${randomUUID()}`,
    posted: [],
    refused: 0,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = `${base}${req.url ?? ''}`;
      res.setHeader('content-type', 'application/json');
      if (req.method !== 'POST' || !url.includes('response_code=')) return res.end(JSON.stringify({ errcode: 40001, errmsg: 'invalid response_code' }));
      if (used.has(url)) {
        urls.refused++;
        return res.end(JSON.stringify({ errcode: 40001, errmsg: 'response_code used' }));
      }
      used.add(url);
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
      if (body.msgtype !== 'markdown' && body.msgtype !== 'template_card') return res.end(JSON.stringify({ errcode: 40008, errmsg: 'invalid message type' }));
      urls.posted.push({ url, body });
      res.end(JSON.stringify({ errcode: 0, errmsg: 'ok' }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return urls;
}
