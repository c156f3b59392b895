/**
 * Which links have been used (a one-shot action works once) and which refused links have been recorded on
 * their duty (a mail scanner opening an old link ten times adds one line to the history, not ten). SQLite in the
 * data folder, beside the send ledger.
 */
import Database from 'better-sqlite3';

export interface LinkUse {
  at: number;
  outcome: string;
}

export class LinkUses {
  private readonly db: Database.Database;

  constructor(file = ':memory:') {
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(`CREATE TABLE IF NOT EXISTS link_uses (id TEXT PRIMARY KEY, at INTEGER NOT NULL, outcome TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS link_refusals (id TEXT PRIMARY KEY, at INTEGER NOT NULL)`);
  }

  used(id: string): LinkUse | undefined {
    return this.db.prepare('SELECT at, outcome FROM link_uses WHERE id = ?').get(id) as LinkUse | undefined;
  }

  /** Claims the link for one use; false when it was used (or is being used) already: two POSTs racing, the second loses. */
  claim(id: string, at: number): boolean {
    if (this.db.prepare("INSERT OR IGNORE INTO link_uses (id, at, outcome) VALUES (?, ?, 'in-progress')").run(id, at).changes === 1) return true;
    // A claim whose process died mid-action (never settled) is taken over after 5 minutes.
    return this.db.prepare("UPDATE link_uses SET at = ? WHERE id = ? AND outcome = 'in-progress' AND at < ?").run(at, id, at - 5 * 60_000).changes === 1;
  }

  settle(id: string, outcome: string): void {
    this.db.prepare('UPDATE link_uses SET outcome = ? WHERE id = ?').run(outcome, id);
  }

  /** The action was refused (nothing changed): the link may be used again, e.g. with a corrected date. */
  release(id: string): void {
    this.db.prepare('DELETE FROM link_uses WHERE id = ?').run(id);
  }

  /** True the first time a refused link is seen: record it then. */
  firstRefusal(id: string, at: number): boolean {
    return this.db.prepare('INSERT OR IGNORE INTO link_refusals (id, at) VALUES (?, ?)').run(id, at).changes === 1;
  }

  close(): void {
    this.db.close();
  }
}
