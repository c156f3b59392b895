/**
 * Which links have been used (a one-shot action works once) and which refused links have been recorded on
 * their duty (a mail scanner opening an old link ten times adds one line to the history, not ten). SQLite in the
 * data folder, beside the send ledger.
 */
import Database from 'better-sqlite3';
import { LINK_MAX_AGE_MS } from './token';

/*
 * Refusals recorded on a duty are bounded, whoever sends them. Only signed links get this far (a link that fails
 * its signature is never recorded nor signalled), but one person holding many links, or a scanner re-opening a
 * mailbox of old ones, must not write without limit into histories (each line a signal to Temporal) or into this
 * table. Legitimate refusals are rare: a few a day for a county, mostly a link opened again after use.
 */
/** The window the rates below count in. */
export const LINK_REFUSAL_WINDOW_MS = 3600_000;
/**
 * Refusals recorded per source (an IPv4 address, an IPv6 /64) per window: a person retrying a few of their links is
 * recorded in full; a client walking through hundreds is not. Behind the county's proxy every person shares one
 * source, so this is generous.
 */
export const LINK_REFUSALS_PER_SOURCE = 30;
/** Refusals recorded per window from all sources together: bounds what a spread-out client can send to Temporal. */
export const LINK_REFUSALS_PER_WINDOW = 300;
/**
 * A signed link expired longer ago than this is refused without being recorded: it says nothing about today's
 * work, and it lets the rows below be pruned without a link ever being recorded twice.
 */
export const LINK_EXPIRED_RECORDED_MS = LINK_MAX_AGE_MS;
/**
 * Rows older than this are pruned: a link is issued at most LINK_MAX_AGE_MS before it expires and recorded at most
 * LINK_EXPIRED_RECORDED_MS after, so a row this old belongs to a link that can no longer be recorded.
 */
export const LINK_REFUSALS_KEPT_MS = LINK_MAX_AGE_MS + LINK_EXPIRED_RECORDED_MS;
/**
 * A hard cap on the table (about 5 MB): past it nothing more is recorded until rows age out; deleting the newest
 * rows instead would let their links be recorded again.
 */
export const LINK_REFUSALS_MAX_ROWS = 50_000;

/** What became of a refusal: recorded (signal the duty), seen before (recorded once already), or over a limit. */
export type RefusalRecord = 'recorded' | 'seen' | 'limited';

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
    // Tables written before refusals were bounded have no source: their rows count for none and age out.
    const columns = this.db.prepare('PRAGMA table_info(link_refusals)').all() as { name: string }[];
    if (!columns.some((c) => c.name === 'source')) this.db.exec("ALTER TABLE link_refusals ADD COLUMN source TEXT NOT NULL DEFAULT ''");
    this.db.exec(`CREATE INDEX IF NOT EXISTS link_refusals_at ON link_refusals (at);
      CREATE INDEX IF NOT EXISTS link_refusals_source ON link_refusals (source, at)`);
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

  /**
   * A refusal of a signed link (`id`: the link, or the link and a reason), from `source`: 'recorded' the first time
   * and within the limits above — record it on the duty then; 'seen' when it was recorded before; 'limited' when a
   * limit is reached (nothing is written: the same refusal may be recorded in a later window).
   */
  recordRefusal(id: string, source: string, at: number): RefusalRecord {
    return this.db.transaction((): RefusalRecord => {
      this.db.prepare('DELETE FROM link_refusals WHERE at < ?').run(at - LINK_REFUSALS_KEPT_MS);
      if (this.db.prepare('SELECT 1 FROM link_refusals WHERE id = ?').get(id)) return 'seen';
      const since = at - LINK_REFUSAL_WINDOW_MS;
      const count = (sql: string, ...args: (string | number)[]) => (this.db.prepare(sql).get(...args) as { n: number }).n;
      if (count('SELECT COUNT(*) AS n FROM link_refusals WHERE source = ? AND at > ?', source, since) >= LINK_REFUSALS_PER_SOURCE) return 'limited';
      if (count('SELECT COUNT(*) AS n FROM link_refusals WHERE at > ?', since) >= LINK_REFUSALS_PER_WINDOW) return 'limited';
      if (count('SELECT COUNT(*) AS n FROM link_refusals') >= LINK_REFUSALS_MAX_ROWS) return 'limited';
      this.db.prepare('INSERT INTO link_refusals (id, at, source) VALUES (?, ?, ?)').run(id, at, source);
      return 'recorded';
    })();
  }

  close(): void {
    this.db.close();
  }
}

/**
 * The source a refusal counts against: an IPv4 address (an IPv4-mapped IPv6 one unwrapped), or an IPv6 address's
 * /64, since one client is handed a whole /64 and could otherwise take a new address for every request.
 */
export function refusalSource(address: string | undefined): string {
  if (!address) return 'unknown';
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1] ?? address;
  if (!address.includes(':')) return address;
  const [head = '', tail] = address.toLowerCase().split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = tail === undefined ? left : [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right];
  return `${groups.slice(0, 4).map((g) => g.replace(/^0+(?=.)/, '')).join(':')}::/64`;
}
