/**
 * The city benchmark's SMTP sink in its own process (test/smtp-sink.ts: a real smtp-server on loopback that parses
 * every mail), so handling mail does not take the worker's or the benchmark's event loop. Reports to the parent over
 * IPC, in batches: for each mail, its X-Duban-Key, the instant its DATA was complete (the sink answers 250 right
 * after), its Message-ID, and the task numbers its text lists (「】任务12」) with the overflow line's count
 * (「另有 N 项未逐条列出」). Keeps no mail.
 */
import { startSmtpSink } from '../test/smtp-sink';

export interface CityMail {
  key: string;
  at: number;
  messageId: string;
  to: string;
  tasks: number[];
  overflow: number;
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
  // Arrival instants by key, in order (a key arriving twice has two).
  const arrivals = new Map<string, number[]>();
  let batch: CityMail[] = [];
  const sink = await startSmtpSink({
    onData: (raw) => {
      const key = keyOf(raw);
      arrivals.set(key, [...(arrivals.get(key) ?? []), Date.now()]);
      return undefined;
    },
  });
  const flush = () => {
    const mails = sink.received.splice(0, sink.received.length);
    for (const m of mails) {
      const key = decodeURIComponent(String(m.headers.get('x-duban-key') ?? ''));
      const at = arrivals.get(key)?.shift() ?? Date.now();
      const text = m.text ?? '';
      const tasks = [...text.matchAll(/】任务(\d+)/g)].map((x) => Number(x[1]));
      const overflow = Number(/另有 (\d+) 项未逐条列出/.exec(text)?.[1] ?? 0);
      const to = Array.isArray(m.to) ? m.to.map((a) => a.text).join(', ') : (m.to?.text ?? '');
      batch.push({ key, at, messageId: m.messageId ?? '', to, tasks, overflow });
    }
    if (batch.length === 0) return;
    process.send?.({ type: 'mails', items: batch });
    batch = [];
  };
  const timer = setInterval(flush, 100);
  process.on('message', (m: { type: string }) => {
    if (m.type === 'flush') {
      void sink.settled().then(() => {
        flush();
        process.send?.({ type: 'flushed' });
      });
    } else if (m.type === 'stop') {
      clearInterval(timer);
      void sink
        .settled()
        .then(() => flush())
        .then(() => sink.close())
        .then(() => process.exit(0));
    }
  });
  process.on('disconnect', () => process.exit(0));
  process.send?.({ type: 'ready', port: sink.port });
}

main().catch((err: unknown) => {
  process.stderr.write(`city sink failed: ${String(err)}\n`);
  process.exit(1);
});
