/**
 * A local server implementing the WeCom group robot's webhook contract, errors included: POST
 * /cgi-bin/webhook/send?key=KEY with JSON; an unknown key answers errcode 93000 (invalid webhook url); more
 * than 20 messages a minute to one robot (or a test's cue) answer 45009; text over 2,048 bytes or markdown
 * over 4,096 bytes answer 40058; every answer is HTTP 200 with {errcode, errmsg}, as the real API does.
 */
import { createServer, type Server } from 'node:http';

export interface RobotPost {
  key: string;
  at: number;
  body: { msgtype: string; text?: { content: string; mentioned_mobile_list?: string[] }; markdown?: { content: string } };
}

export interface WecomServer {
  baseUrl: string;
  /** Accepted posts. */
  posts: RobotPost[];
  /** Every request, with the errcode answered. */
  answers: { key: string; errcode: number }[];
  /** The next n posts to this key answer 45009. */
  rateLimitNext(key: string, n: number): void;
  close(): Promise<void>;
}

export async function startWecomServer(keys: string[]): Promise<WecomServer> {
  const known = new Set(keys);
  const limited = new Map<string, number>();
  const posts: RobotPost[] = [];
  const answers: WecomServer['answers'] = [];
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://wecom');
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString('utf8')));
    req.on('end', () => {
      const key = url.searchParams.get('key') ?? '';
      const answer = (errcode: number, errmsg: string) => {
        answers.push({ key, errcode });
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ errcode, errmsg }));
      };
      if (req.method !== 'POST' || url.pathname !== '/cgi-bin/webhook/send') return answer(404, 'not found');
      if (!known.has(key)) return answer(93000, 'invalid webhook url, hint: [local]');
      const cue = limited.get(key) ?? 0;
      const now = Date.now();
      const lastMinute = posts.filter((p) => p.key === key && p.at > now - 60_000).length;
      if (cue > 0 || lastMinute >= 20) {
        if (cue > 0) limited.set(key, cue - 1);
        return answer(45009, 'api freq out of limit');
      }
      let body: RobotPost['body'];
      try {
        body = JSON.parse(raw) as RobotPost['body'];
      } catch {
        return answer(40001, 'invalid json');
      }
      if (body.msgtype === 'text') {
        if (!body.text?.content) return answer(44004, 'empty content');
        if (Buffer.byteLength(body.text.content) > 2048) return answer(40058, 'content exceed max length 2048');
      } else if (body.msgtype === 'markdown') {
        if (!body.markdown?.content) return answer(44004, 'empty content');
        if (Buffer.byteLength(body.markdown.content) > 4096) return answer(40058, 'content exceed max length 4096');
      } else return answer(40008, 'invalid message type');
      posts.push({ key, at: now, body });
      return answer(0, 'ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    posts,
    answers,
    rateLimitNext: (key, n) => limited.set(key, n),
    close: () => new Promise((r) => server.close(() => r())),
  };
}
