/**
 * The send ledger: one row per (message key, channel), so a retried activity never delivers the same message
 * twice. SQLite in the data folder (DUBAN_LEDGER), shared safely by every worker process on this machine;
 * workers on other machines need the file on shared storage, or a ledger of their own (then a crash between
 * sending and recording can, rarely, repeat one message; the Message-ID derived from the key lets mail
 * systems drop such a repeat).
 */
import Database from 'better-sqlite3';

export type Claim = 'new' | 'sent' | 'unsure';

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
  claim(key: string, channel: string): Claim {
    const inserted = this.db
      .prepare(`INSERT OR IGNORE INTO sends (key, channel, status, at) VALUES (?, ?, 'sending', ?)`)
      .run(key, channel, Date.now());
    if (inserted.changes === 1) return 'new';
    const row = this.db.prepare(`SELECT status FROM sends WHERE key = ? AND channel = ?`).get(key, channel) as { status: string } | undefined;
    return row?.status === 'sent' ? 'sent' : 'unsure';
  }

  markSent(key: string, channel: string, detail: string): void {
    this.db.prepare(`UPDATE sends SET status = 'sent', at = ?, detail = ? WHERE key = ? AND channel = ?`).run(Date.now(), detail, key, channel);
  }

  /** What was recorded with a delivered send. */
  detail(key: string, channel: string): string | undefined {
    const row = this.db.prepare(`SELECT detail FROM sends WHERE key = ? AND channel = ? AND status = 'sent'`).get(key, channel) as { detail: string | null } | undefined;
    return row?.detail ?? undefined;
  }

  /** A failed attempt: the next retry may send again. */
  release(key: string, channel: string): void {
    this.db.prepare(`DELETE FROM sends WHERE key = ? AND channel = ? AND status = 'sending'`).run(key, channel);
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
