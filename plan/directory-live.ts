/**
 * The directory a long-running process uses, read again when its file changes: a directory a clerk uploads on the
 * dashboard (data/directory.yaml) reaches the running worker's next message without a restart. A file that changed
 * and no longer validates is reported once, and the last good directory stays in use: a typo made while editing
 * must not stop the county's reminders. Only the first read may fail, as a start with a bad file always did.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Directory } from './directory';
import { PlanFileError } from './errors';
import { loadDirectory } from './files';

/** The directory in use: the one uploaded on the dashboard (data/directory.yaml) once there is one, else the deployment's. */
export function directorySource(dataDir: string, base: string): string {
  const uploaded = join(dataDir, 'directory.yaml');
  return existsSync(uploaded) ? uploaded : base;
}

export interface DirectoryFileOptions {
  /** A changed file that does not validate (once per change): the last good directory is kept. */
  onInvalid?: (error: PlanFileError, kept: string) => void;
  /** A changed file read and now in use. */
  onReload?: (file: string) => void;
  /**
   * Look at the file at most this often (ms). Activities read the directory for every message: a stat each time
   * would cost a system call per recipient at a city's morning; a second's delay costs nothing.
   */
  checkEveryMs?: number;
  now?: () => number;
}

interface Stamp {
  file: string;
  mtimeMs: number;
  size: number;
  ino: number;
}

const sameStamp = (a: Stamp | undefined, b: Stamp) => !!a && a.file === b.file && a.mtimeMs === b.mtimeMs && a.size === b.size && a.ino === b.ino;

export class DirectoryFile {
  private good: { stamp: Stamp; dir: Directory } | undefined;
  /** The stamp of the file whose content failed, and why, until the file changes again. */
  private bad: { stamp: Stamp; error: PlanFileError } | undefined;
  private checkedAt = -Infinity;

  /** `source`: which file to read, asked at every check (an upload can make data/directory.yaml appear). */
  constructor(
    readonly source: () => string,
    private readonly o: DirectoryFileOptions = {},
  ) {}

  /** Why the file as it is now cannot be used (the last good directory is what `current()` returns meanwhile). */
  get problem(): PlanFileError | undefined {
    return this.bad?.error;
  }

  /** The file the directory in use was read from. */
  get file(): string | undefined {
    return this.good?.stamp.file;
  }

  /** The directory to use now; throws a PlanFileError only when no file has ever been good. */
  current(): Directory {
    const now = (this.o.now ?? Date.now)();
    if (this.good && now - this.checkedAt < (this.o.checkEveryMs ?? 0)) return this.good.dir;
    this.checkedAt = now;
    const file = this.source();
    let stamp: Stamp;
    try {
      const s = statSync(file);
      stamp = { file, mtimeMs: s.mtimeMs, size: s.size, ino: s.ino };
    } catch (cause) {
      const error = new PlanFileError('UNREADABLE', file, '', `无法读取文件 (cannot read the file): ${(cause as Error).message}`, { cause });
      return this.keepOrThrow({ file, mtimeMs: -1, size: -1, ino: -1 }, error);
    }
    if (sameStamp(this.good?.stamp, stamp)) {
      this.bad = undefined;
      return this.good!.dir;
    }
    if (this.bad && sameStamp(this.bad.stamp, stamp)) return this.keepOrThrow(stamp, this.bad.error);
    try {
      const dir = loadDirectory(file);
      const reloaded = this.good !== undefined;
      this.good = { stamp, dir };
      this.bad = undefined;
      if (reloaded) this.o.onReload?.(file);
      return dir;
    } catch (err) {
      if (!(err instanceof PlanFileError)) throw err;
      return this.keepOrThrow(stamp, err);
    }
  }

  private keepOrThrow(stamp: Stamp, error: PlanFileError): Directory {
    const first = !this.bad || !sameStamp(this.bad.stamp, stamp);
    this.bad = { stamp, error };
    if (!this.good) throw error;
    if (first) this.o.onInvalid?.(error, this.good.stamp.file);
    return this.good.dir;
  }
}

/**
 * A Directory whose every property read goes to `file.current()`: for code that was handed a Directory once (the
 * activities, the senders, the reply path) and reads it on each use. What a caller keeps from one read (a unit's
 * record) stays as it was; the next read from the top sees the new file.
 */
export function liveDirectory(file: DirectoryFile): Directory {
  const now = () => file.current() as unknown as Record<PropertyKey, unknown>;
  file.current();
  return new Proxy({} as Directory, {
    get: (_t, key) => now()[key],
    has: (_t, key) => key in now(),
    ownKeys: () => Reflect.ownKeys(now()),
    getOwnPropertyDescriptor: (_t, key) => {
      const d = Reflect.getOwnPropertyDescriptor(now(), key);
      return d ? { ...d, configurable: true } : undefined;
    },
    set: () => false,
    deleteProperty: () => false,
    defineProperty: () => false,
  });
}
