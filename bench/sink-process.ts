/**
 * The storm's SMTP sink in its own process (test/smtp-sink.ts: a real smtp-server on loopback that parses
 * every mail), so handling mail does not take the worker's event loop. Reports each mail's X-Duban-Key and the
 * instant its DATA was complete (the sink then answers 250) to the parent over IPC, in batches; keeps no mail.
 */
import { startSmtpSink } from '../test/smtp-sink';

interface Accepted {
  key: string;
  at: number;
}

/** The X-Duban-Key header of a raw message (unfolded), decoded; '' when absent. */
function keyOf(raw: string): string {
  const end = raw.indexOf('\r\n\r\n');
  const head = end < 0 ? raw : raw.slice(0, end);
  const m = /^X-Duban-Key:[ \t]*(.*(?:\r?\n[ \t].*)*)/im.exec(head);
  if (!m?.[1]) return '';
  try {
    return decodeURIComponent(m[1].replace(/\r?\n[ \t]*/g, '').trim());
  } catch {
    return '';
  }
}

async function main() {
  let batch: Accepted[] = [];
  // Called once the whole message has arrived; the sink accepts it (250) right after.
  const sink = await startSmtpSink({
    onData: (raw) => {
      batch.push({ key: keyOf(raw), at: Date.now() });
      return undefined;
    },
  });
  const flush = () => {
    // The parsed mails are not needed here: drop them so 10,000 of them are not kept.
    sink.received.length = 0;
    if (batch.length === 0) return;
    process.send?.({ type: 'accepted', items: batch });
    batch = [];
  };
  const timer = setInterval(flush, 25);
  process.on('message', (m: { type: string }) => {
    if (m.type === 'stop') {
      clearInterval(timer);
      flush();
      void sink.close().then(() => process.exit(0));
    }
  });
  process.on('disconnect', () => process.exit(0));
  process.send?.({ type: 'ready', port: sink.port });
}

main().catch((err: unknown) => {
  process.stderr.write(`sink failed: ${String(err)}\n`);
  process.exit(1);
});
