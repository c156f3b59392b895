/**
 * The inbox ledger: every email duban has read from the replies mailbox, by UID within its UIDVALIDITY, so each
 * message is acted on once across restarts, and one that could not be answered is retried rather than lost.
 * SQLite in the data folder (`data/mail-replies.sqlite`), like the send ledger (channels/ledger.ts).
 *
 * A message's life: `acting` (claimed; what was heard is noted before the reply path runs) → `answering` (the
 * reply path answered; the answer is kept until SMTP takes it) → `done`. `failed`: the reply path threw (Temporal
 * unreachable) and is tried again at `next_at`. An `acting` row older than ACTING_STALE_MS was left by a process
 * that died mid-reply: it is never run again (it may have acted), its sender is asked to check.
 */
import Database from 'better-sqlite3';

export interface MailRef {
  /** `user@host`: two mailboxes never share rows. */
  account: string;
  mailbox: string;
  uidValidity: string;
  uid: number;
}

export type InboxStatus = 'acting' | 'failed' | 'answering' | 'done';

export interface InboxRow extends MailRef {
  messageId?: string;
  status: InboxStatus;
  outcome?: string;
  reason?: string;
  attempts: number;
  firstAt: number;
  nextAt?: number;
  /** What the reply path hears (JSON of a chat/platform.ts Heard), once screened in. */
  heard?: string;
  /** Where the answer goes (JSON: to, subject, messageId, references). */
  thread?: string;
  answer?: string;
  answerId?: string;
}

/** Longer than one reply takes (a few Updates and one SMTP send); a claim older than this was abandoned. */
export const ACTING_STALE_MS = 5 * 60_000;

interface DbRow {
  account: string;
  mailbox: string;
  uidvalidity: string;
  uid: number;
  message_id: string | null;
  status: InboxStatus;
  outcome: string | null;
  reason: string | null;
  attempts: number;
  first_at: number;
  next_at: number | null;
  heard: string | null;
  thread: string | null;
  answer: string | null;
  answer_id: string | null;
}

function toRow(r: DbRow): InboxRow {
  return {
    account: r.account,
    mailbox: r.mailbox,
    uidValidity: r.uidvalidity,
    uid: r.uid,
    status: r.status,
    attempts: r.attempts,
    firstAt: r.first_at,
    ...(r.message_id ? { messageId: r.message_id } : {}),
    ...(r.outcome ? { outcome: r.outcome } : {}),
    ...(r.reason ? { reason: r.reason } : {}),
    ...(r.next_at !== null ? { nextAt: r.next_at } : {}),
    ...(r.heard ? { heard: r.heard } : {}),
    ...(r.thread ? { thread: r.thread } : {}),
    ...(r.answer ? { answer: r.answer } : {}),
    ...(r.answer_id ? { answerId: r.answer_id } : {}),
  };
}

const WHERE = 'account = ? AND mailbox = ? AND uidvalidity = ? AND uid = ?';
const refArgs = (r: MailRef) => [r.account, r.mailbox, r.uidValidity, r.uid] as const;

export class InboxLedger {
  private readonly db: Database.Database;

  constructor(file = ':memory:') {
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS inbox (
        account TEXT NOT NULL, mailbox TEXT NOT NULL, uidvalidity TEXT NOT NULL, uid INTEGER NOT NULL,
        message_id TEXT, status TEXT NOT NULL, outcome TEXT, reason TEXT, attempts INTEGER NOT NULL DEFAULT 0,
        first_at INTEGER NOT NULL, acting_at INTEGER, next_at INTEGER, heard TEXT, thread TEXT, answer TEXT, answer_id TEXT,
        PRIMARY KEY (account, mailbox, uidvalidity, uid));
      CREATE INDEX IF NOT EXISTS inbox_message_id ON inbox (account, message_id);
      CREATE INDEX IF NOT EXISTS inbox_answer_id ON inbox (answer_id);
      CREATE TABLE IF NOT EXISTS inbox_marks (
        account TEXT NOT NULL, mailbox TEXT NOT NULL, uidvalidity TEXT NOT NULL, last_uid INTEGER NOT NULL,
        PRIMARY KEY (account, mailbox, uidvalidity));`);
  }

  /** The highest UID read in this mailbox generation: every UID up to it has a row. */
  lastUid(account: string, mailbox: string, uidValidity: string): number {
    const row = this.db
      .prepare('SELECT last_uid FROM inbox_marks WHERE account = ? AND mailbox = ? AND uidvalidity = ?')
      .get(account, mailbox, uidValidity) as { last_uid: number } | undefined;
    return row?.last_uid ?? 0;
  }

  /**
   * Claims a message before anything is done with it. 'new': go ahead. 'seen': already read (a restart, a second
   * reader). 'duplicate': the same Message-ID was read under another UID (delivered twice, or the mailbox was
   * rebuilt with a new UIDVALIDITY): recorded as done, not acted on.
   */
  claim(ref: MailRef, messageId: string | undefined, now: number): 'new' | 'seen' | 'duplicate' {
    return this.db.transaction((): 'new' | 'seen' | 'duplicate' => {
      this.db
        .prepare(
          `INSERT INTO inbox_marks (account, mailbox, uidvalidity, last_uid) VALUES (?, ?, ?, ?)
          ON CONFLICT (account, mailbox, uidvalidity) DO UPDATE SET last_uid = MAX(last_uid, excluded.last_uid)`,
        )
        .run(ref.account, ref.mailbox, ref.uidValidity, ref.uid);
      const twin = messageId
        ? (this.db
            .prepare(
              'SELECT uid FROM inbox WHERE account = ? AND message_id = ? AND NOT (mailbox = ? AND uidvalidity = ? AND uid = ?)',
            )
            .get(ref.account, messageId, ref.mailbox, ref.uidValidity, ref.uid) as { uid: number } | undefined)
        : undefined;
      const inserted = this.db
        .prepare(
          `INSERT OR IGNORE INTO inbox (account, mailbox, uidvalidity, uid, message_id, status, outcome, reason, first_at, acting_at)
          VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          ...refArgs(ref),
          messageId ?? null,
          twin ? 'done' : 'acting',
          twin ? 'duplicate' : null,
          twin ? `same Message-ID as UID ${twin.uid}` : null,
          now,
          now,
        );
      if (inserted.changes === 0) return 'seen';
      return twin ? 'duplicate' : 'new';
    })();
  }

  /** What the reply path is about to hear, and where its answer goes: kept before it runs. */
  noteHeard(ref: MailRef, heard: string, thread: string): void {
    this.db.prepare(`UPDATE inbox SET heard = ?, thread = ? WHERE ${WHERE}`).run(heard, thread, ...refArgs(ref));
  }

  /** The outcome is known: with an answer to send (`answering`), or nothing more to do (`done`). */
  settle(
    ref: MailRef,
    outcome: string,
    reason: string | undefined,
    answer?: { text: string; thread: string; answerId: string },
  ): void {
    if (answer) {
      this.db
        .prepare(
          `UPDATE inbox SET status = 'answering', outcome = ?, reason = ?, answer = ?, thread = ?, answer_id = ?, attempts = 0, next_at = NULL WHERE ${WHERE}`,
        )
        .run(outcome, reason ?? null, answer.text, answer.thread, answer.answerId, ...refArgs(ref));
    } else {
      this.db
        .prepare(`UPDATE inbox SET status = 'done', outcome = ?, reason = ?, next_at = NULL WHERE ${WHERE}`)
        .run(outcome, reason ?? null, ...refArgs(ref));
    }
  }

  /** The reply path threw: try again at `nextAt`. */
  fail(ref: MailRef, reason: string, nextAt: number): void {
    this.db
      .prepare(`UPDATE inbox SET status = 'failed', reason = ?, attempts = attempts + 1, next_at = ? WHERE ${WHERE}`)
      .run(reason, nextAt, ...refArgs(ref));
  }

  /** Takes a failed row for another try; false when another pass took it first. */
  retake(ref: MailRef, now: number): boolean {
    return (
      this.db
        .prepare(
          `UPDATE inbox SET status = 'acting', acting_at = ?, next_at = NULL WHERE ${WHERE} AND status = 'failed'`,
        )
        .run(now, ...refArgs(ref)).changes === 1
    );
  }

  /** SMTP took the answer. */
  answered(ref: MailRef): void {
    this.db.prepare(`UPDATE inbox SET status = 'done', next_at = NULL WHERE ${WHERE}`).run(...refArgs(ref));
  }

  /** SMTP did not take the answer: send it again at `nextAt` (the action is not repeated). */
  answerFailed(ref: MailRef, reason: string, nextAt: number): void {
    this.db
      .prepare(`UPDATE inbox SET reason = ?, attempts = attempts + 1, next_at = ? WHERE ${WHERE}`)
      .run(reason, nextAt, ...refArgs(ref));
  }

  /** Rows that need another go now: failed replies, unsent answers, and claims abandoned by a dead process. */
  due(account: string, mailbox: string, now: number): InboxRow[] {
    const rows = this.db
      .prepare(
        `SELECT * FROM inbox WHERE account = ? AND mailbox = ? AND (
          (status IN ('failed', 'answering') AND (next_at IS NULL OR next_at <= ?))
          OR (status = 'acting' AND acting_at < ?)) ORDER BY uidvalidity, uid`,
      )
      .all(account, mailbox, now, now - ACTING_STALE_MS) as DbRow[];
    return rows.map(toRow);
  }

  row(ref: MailRef): InboxRow | undefined {
    const r = this.db.prepare(`SELECT * FROM inbox WHERE ${WHERE}`).get(...refArgs(ref)) as DbRow | undefined;
    return r ? toRow(r) : undefined;
  }

  byMessageId(messageId: string): InboxRow[] {
    return (
      this.db.prepare('SELECT * FROM inbox WHERE message_id = ? ORDER BY uidvalidity, uid').all(messageId) as DbRow[]
    ).map(toRow);
  }

  /** Whether this Message-ID is one of the answers we sent (a reply to our answer is a reply to ours). */
  isAnswer(messageId: string): boolean {
    return this.db.prepare('SELECT 1 FROM inbox WHERE answer_id = ?').get(messageId) !== undefined;
  }

  all(): InboxRow[] {
    return (this.db.prepare('SELECT * FROM inbox ORDER BY account, mailbox, uidvalidity, uid').all() as DbRow[]).map(
      toRow,
    );
  }

  close(): void {
    this.db.close();
  }
}
