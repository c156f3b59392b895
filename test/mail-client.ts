/**
 * A person's mail client against the loopback GreenMail (servers/greenmail.ts): what has arrived in their inbox,
 * and the quote a client puts under a reply. Shared by the email-reply tests.
 */
import { ImapFlow } from 'imapflow';
import { simpleParser, type ParsedMail } from 'mailparser';

/** Every message in `address`'s INBOX, parsed. */
export async function inboxOf(server: { host: string; imapPort: number }, address: string, password: string): Promise<ParsedMail[]> {
  const c = new ImapFlow({ host: server.host, port: server.imapPort, secure: false, auth: { user: address, pass: password }, logger: false });
  await c.connect();
  try {
    const lock = await c.getMailboxLock('INBOX');
    try {
      if (!(c.mailbox && c.mailbox.exists)) return [];
      const all = await c.fetchAll('1:*', { source: true });
      return Promise.all(all.map((m) => simpleParser(m.source!)));
    } finally {
      lock.release();
    }
  } finally {
    await c.logout();
  }
}

/** `original`'s text as a client quotes it under 「回复」: each line behind "> ". */
export const quoteOf = (original: ParsedMail): string =>
  (original.text ?? '')
    .split('\n')
    .map((l) => `> ${l}`)
    .join('\n');
