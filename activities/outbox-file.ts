/**
 * The outbox file (JSON lines, one message each, only appended to) read without holding it whole: what a worker
 * needs at start and what the dashboard's 发件箱 shows are the last lines, read from the end. Past about 512 MB a
 * file read whole no longer fits in one string, and the worker could not start (issue #27).
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import type { OutgoingMessage } from '../workflows/types';

const CHUNK = 64 * 1024;

export interface OutboxPage {
  /** Newest first. */
  messages: OutgoingMessage[];
  /** The byte offset to pass as `before` for the page of older messages; absent on the oldest page. */
  older?: number;
}

/**
 * Up to `limit` whole lines that end at or before byte `before` (default: the end of the file), newest first. A
 * line that is not JSON is skipped here: the worker's start is what refuses a bad outbox, naming the line.
 */
export function readOutboxPage(file: string, limit: number, before?: number): OutboxPage {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return { messages: [] };
  }
  try {
    const size = fstatSync(fd).size;
    const end = Math.min(before ?? size, size);
    // Back from `end` a chunk at a time, until more than `limit` newlines are in hand (or the file's start).
    let pos = end;
    const chunks: Buffer[] = [];
    let newlines = 0;
    while (pos > 0 && newlines <= limit) {
      const from = Math.max(0, pos - CHUNK);
      const chunk = Buffer.alloc(pos - from);
      readSync(fd, chunk, 0, chunk.length, from);
      for (const b of chunk) if (b === 0x0a) newlines++;
      chunks.unshift(chunk);
      pos = from;
    }
    // Joined once: a chunk at a time would copy what was read again for every chunk.
    const buf = Buffer.concat(chunks);
    // A last line still being written (no newline yet) is not a message yet.
    let stop = buf.length;
    if (before === undefined && buf.length && buf[buf.length - 1] !== 0x0a) stop = buf.lastIndexOf(0x0a) + 1;
    // Line starts: the first byte read is one only at the file's start.
    const starts: number[] = pos === 0 ? [0] : [];
    for (let k = 0; k < stop; k++) if (buf[k] === 0x0a && k + 1 < stop) starts.push(k + 1);
    const taken = starts.slice(-limit);
    const lines = taken.map((st, k) => buf.subarray(st, (taken[k + 1] ?? stop) - 1).toString('utf8'));
    const messages = lines.reverse().flatMap((l) => {
      try {
        return l.trim() ? [JSON.parse(l) as OutgoingMessage] : [];
      } catch {
        return [];
      }
    });
    const first = pos + (taken[0] ?? stop);
    return { messages, ...(first > 0 ? { older: first } : {}) };
  } finally {
    closeSync(fd);
  }
}

/**
 * Calls `onLine` for each whole line from byte `from` on, in order, reading a chunk at a time, and returns the offset
 * after the last whole line and what follows it (a last line cut off mid-write, or '').
 */
export function forEachLineFrom(file: string, from: number, onLine: (line: string, endOffset: number) => void): { end: number; rest: string } {
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    let pos = from;
    let end = from;
    let carry = Buffer.alloc(0);
    while (pos < size) {
      const buf = Buffer.alloc(Math.min(CHUNK, size - pos));
      const n = readSync(fd, buf, 0, buf.length, pos);
      if (n <= 0) break;
      pos += n;
      carry = Buffer.concat([carry, buf.subarray(0, n)]);
      let start = 0;
      for (let nl = carry.indexOf(0x0a, start); nl >= 0; nl = carry.indexOf(0x0a, start)) {
        end += nl + 1 - start;
        onLine(carry.subarray(start, nl).toString('utf8'), end);
        start = nl + 1;
      }
      carry = carry.subarray(start);
    }
    return { end, rest: carry.toString('utf8') };
  } finally {
    closeSync(fd);
  }
}

/**
 * What the outbox's first line is (FNV-1a of its bytes, the first 4 KiB at most), and whether byte `offset - 1` ends
 * a line: an index whose file was replaced, or whose offset is not at a line's end (another process appended to
 * the file), indexes it again from the start.
 */
export function outboxMarks(file: string, offset: number): { head: number; atLineEnd: boolean } {
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(4096);
    const n = readSync(fd, buf, 0, buf.length, 0);
    const nl = buf.subarray(0, n).indexOf(0x0a);
    let head = 0x811c9dc5;
    for (const b of buf.subarray(0, nl < 0 ? n : nl)) head = Math.imul(head ^ b, 0x01000193) >>> 0;
    const last = Buffer.alloc(1);
    const atLineEnd = offset === 0 || (readSync(fd, last, 0, 1, offset - 1) === 1 && last[0] === 0x0a);
    return { head, atLineEnd };
  } finally {
    closeSync(fd);
  }
}
