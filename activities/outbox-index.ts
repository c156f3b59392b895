/**
 * The outbox's keys in SQLite beside it (`<outbox>.index.sqlite`): which messages were recorded, without holding
 * every key in memory or reading the whole file at each start. It knows how far into the file it has indexed, so a
 * start reads only what was appended after that (all of it once, the first time, for an outbox of before 0.8.1).
 */
import Database from 'better-sqlite3';

export class OutboxIndex {
  private readonly db: Database.Database;
  private readonly hasKey: Database.Statement<[string]>;
  private readonly addKey: Database.Statement<[string]>;
  private readonly setMeta: Database.Statement<[string, number]>;

  constructor(file: string) {
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(`CREATE TABLE IF NOT EXISTS outbox_keys (key TEXT PRIMARY KEY);
      CREATE TABLE IF NOT EXISTS outbox_meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL)`);
    this.hasKey = this.db.prepare('SELECT 1 FROM outbox_keys WHERE key = ?');
    this.addKey = this.db.prepare('INSERT OR IGNORE INTO outbox_keys (key) VALUES (?)');
    this.setMeta = this.db.prepare('INSERT INTO outbox_meta (name, value) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET value = excluded.value');
  }

  has(key: string): boolean {
    return this.hasKey.get(key) !== undefined;
  }

  /** Bytes of the outbox indexed, and the lines in them (for error messages that name a line). */
  indexed(): { bytes: number; lines: number; head?: number } {
    const rows = this.db.prepare('SELECT name, value FROM outbox_meta').all() as { name: string; value: number }[];
    const of = (name: string) => rows.find((r) => r.name === name)?.value;
    const head = of('head');
    return { bytes: of('bytes') ?? 0, lines: of('lines') ?? 0, ...(head !== undefined ? { head } : {}) };
  }

  /** Keys recorded up to byte `bytes` (line `lines`) of the outbox, in one transaction. */
  add(keys: string[], upTo: { bytes: number; lines: number }): void {
    this.db.transaction(() => {
      for (const k of keys) this.addKey.run(k);
      this.setMeta.run('bytes', upTo.bytes);
      this.setMeta.run('lines', upTo.lines);
    })();
  }

  /** The fingerprint of the file's first line (outboxMarks). */
  setHead(head: number): void {
    this.setMeta.run('head', head);
  }

  /** The outbox is shorter than what was indexed (cut back by hand): start again from nothing. */
  clear(): void {
    this.db.exec('DELETE FROM outbox_keys; DELETE FROM outbox_meta');
  }

  close(): void {
    this.db.close();
  }
}
