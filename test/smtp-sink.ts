/** A real SMTP server on loopback that keeps what it receives, and can refuse on cue (451, 550). */
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface SinkBehaviour {
  /** Answer DATA with this error (e.g. 451 or 550) for a message, or undefined to accept it. */
  onData?: (raw: string, attempt: number) => { code: number; message: string } | undefined;
  /** Refuse these recipients at RCPT TO with 550. */
  refuseRecipients?: string[];
  /** Listen on this port (default: any free one). */
  port?: number;
}

export interface SmtpSink {
  port: number;
  /** Each message as parsed, with the raw text that arrived. */
  received: (ParsedMail & { raw: string })[];
  attempts: number;
  /** Resolves once every accepted message has been parsed into `received`. */
  settled(): Promise<void>;
  close(): Promise<void>;
}

export async function startSmtpSink(behaviour: SinkBehaviour = {}): Promise<SmtpSink> {
  const parsing = new Set<Promise<unknown>>();
  const sink: SmtpSink = {
    port: 0,
    received: [],
    attempts: 0,
    settled: async () => {
      await Promise.all([...parsing]);
    },
    close: async () => undefined,
  };
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    // close() waits this long for connected clients (a sender's pooled, idle connections) before it sends them
    // 421 and closes: 30 s by default, most of a drill's run.
    closeTimeout: 500,
    onRcptTo(address, _session, callback) {
      if (behaviour.refuseRecipients?.includes(address.address)) {
        const err = new Error('mailbox unavailable') as Error & { responseCode: number };
        err.responseCode = 550;
        return callback(err);
      }
      callback();
    },
    onData(stream, _session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        sink.attempts++;
        const refusal = behaviour.onData?.(raw, sink.attempts);
        if (refusal) {
          const err = new Error(refusal.message) as Error & { responseCode: number };
          err.responseCode = refusal.code;
          return callback(err);
        }
        // Accept at once (as a real server's 250 would), then parse: what was accepted is what arrived.
        callback();
        const parsed = simpleParser(raw)
          .then((mail) => sink.received.push(Object.assign(mail, { raw })))
          .catch(() => undefined)
          .finally(() => parsing.delete(parsed));
        parsing.add(parsed);
      });
    },
  });
  // A client that dies mid-session (a worker SIGKILLed in a drill) resets its connection: the server reports it
  // as an error event, which is what a real SMTP server shrugs off too — not a test failure.
  server.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'ECONNRESET' && err.code !== 'EPIPE') process.stderr.write(`[smtp sink] ${String(err)}\n`);
  });
  await new Promise<void>((resolve) => server.listen(behaviour.port ?? 0, '127.0.0.1', () => resolve()));
  const address = server.server.address();
  sink.port = typeof address === 'object' && address ? address.port : 0;
  sink.close = async () => {
    await sink.settled();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return sink;
}
