/**
 * The send ledger: one row per (message key, channel), so a retried activity never delivers the same message
 * twice. SQLite in the data folder (DUBAN_LEDGER), shared safely by every worker process on this machine;
 * workers on other machines need the file on shared storage, or a ledger of their own (then a crash between
 * sending and recording can, rarely, repeat one message; the Message-ID derived from the key lets mail
 * systems drop such a repeat).
 */
import Database from 'better-sqlite3';

/**
 * 'new': go ahead. 'retry': an earlier attempt failed (what it reached is in `partial`); go ahead. 'sent':
 * delivered, skip. 'in-progress': another attempt is sending right now (a retry overtook a slow send): do not
 * send, try again later. 'unsure': an attempt began long ago and never recorded an outcome (its process died
 * mid-send); the caller decides.
 */
export type Claim = 'new' | 'retry' | 'sent' | 'in-progress' | 'unsure';

/**
 * How long a send may take before its claim is considered abandoned: longer than any one attempt (SMTP's
 * 30 s socket timeout, a WeChat post of many parts), shorter than the activity's retry backoff grows to.
 */
export const CLAIM_STALE_MS = 3 * 60_000;

export class SendLedger {
  private readonly db: Database.Database;

  constructor(file = ':memory:') {
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(`CREATE TABLE IF NOT EXISTS sends (
      key TEXT NOT NULL, channel TEXT NOT NULL, status TEXT NOT NULL, at INTEGER NOT NULL, detail TEXT,
      PRIMARY KEY (key, channel))`);
  }

  /**
   * Claims a send. 'new': go ahead. 'sent': already delivered, skip. 'unsure': an earlier attempt began and
   * never recorded an outcome (its process died mid-send); the caller decides.
   */
  claim(key: string, channel: string, now = Date.now()): Claim {
    const inserted = this.db.prepare(`INSERT OR IGNORE INTO sends (key, channel, status, at) VALUES (?, ?, 'sending', ?)`).run(key, channel, now);
    if (inserted.changes === 1) return 'new';
    // One statement decides and takes over, so two processes never both get a go for the same row.
    const retried = this.db.prepare(`UPDATE sends SET status = 'sending', at = ? WHERE key = ? AND channel = ? AND status = 'failed'`).run(now, key, channel);
    if (retried.changes === 1) return 'retry';
    const stale = this.db.prepare(`UPDATE sends SET at = ? WHERE key = ? AND channel = ? AND status = 'sending' AND at < ?`).run(now, key, channel, now - CLAIM_STALE_MS);
    if (stale.changes === 1) return 'unsure';
    const row = this.db.prepare(`SELECT status FROM sends WHERE key = ? AND channel = ?`).get(key, channel) as { status: string } | undefined;
    return row?.status === 'sent' ? 'sent' : 'in-progress';
  }

  /** What an unfinished or failed attempt recorded as reached so far (e.g. the WeChat units posted to). */
  partial(key: string, channel: string): string | undefined {
    const row = this.db.prepare(`SELECT detail FROM sends WHERE key = ? AND channel = ? AND status != 'sent'`).get(key, channel) as { detail: string | null } | undefined;
    return row?.detail ?? undefined;
  }

  /** Records progress of the attempt under way, kept if it fails. */
  note(key: string, channel: string, detail: string): void {
    this.db.prepare(`UPDATE sends SET detail = ? WHERE key = ? AND channel = ? AND status = 'sending'`).run(detail, key, channel);
  }

  markSent(key: string, channel: string, detail: string): void {
    this.db.prepare(`UPDATE sends SET status = 'sent', at = ?, detail = ? WHERE key = ? AND channel = ?`).run(Date.now(), detail, key, channel);
  }

  /** What was recorded with a delivered send. */
  detail(key: string, channel: string): string | undefined {
    const row = this.db.prepare(`SELECT detail FROM sends WHERE key = ? AND channel = ? AND status = 'sent'`).get(key, channel) as { detail: string | null } | undefined;
    return row?.detail ?? undefined;
  }

  /** A failed attempt: the next retry may send again (what it reached stays noted). */
  release(key: string, channel: string): void {
    this.db.prepare(`UPDATE sends SET status = 'failed' WHERE key = ? AND channel = ? AND status = 'sending'`).run(key, channel);
  }

  count(channel?: string): number {
    const row = (channel
      ? this.db.prepare(`SELECT COUNT(*) AS n FROM sends WHERE status = 'sent' AND channel = ?`).get(channel)
      : this.db.prepare(`SELECT COUNT(*) AS n FROM sends WHERE status = 'sent'`).get()) as { n: number };
    return row.n;
  }

  close(): void {
    this.db.close();
  }
}
