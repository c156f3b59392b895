/**
 * Parcels (0.9.0): what a desk holds when it must continue as new, in pieces each far under Temporal's 2 MB payload
 * limit. The desk continues as new when its history is full even while it holds the evening's items (tens of
 * thousands on a city's desk), and carried all of them in the new run's input: past 2 MB that continue-as-new
 * failed, so the path could never succeed. Now, past CARRY_INLINE_BYTES, the old run starts one parcel workflow per
 * PARCEL_BYTES of what it holds and carries only their ids; the new run asks each parcel for its piece, and the parcel
 * signals it back and ends. Each piece rides in one payload of its own (a parcel's input, then one signal).
 */
import { condition, getExternalWorkflowHandle, ParentClosePolicy, setHandler, sleep, startChild, workflowInfo } from '@temporalio/workflow';
import { deskParcelSignal, parcelFetchSignal, type DeskParcel } from './messages';
import type { Moved } from './desk-relay';
import type { DutyStatus, OutgoingMessage } from './types';

/** Carried in the input as before up to this size (every county's desk: the silent seed year holds a few KB). */
export const CARRY_INLINE_BYTES = 512 * 1024;
/** One parcel's piece at most: a payload, and a workflow task completion, well under their limits. */
export const PARCEL_BYTES = 1024 * 1024;
/** How long a new run waits for its parcels before it goes on with what it has (a parcel terminated by hand). */
export const PARCEL_WAIT_MS = 10 * 60_000;
/** A parcel nobody asks for (its desk was terminated before its new run began) ends after this long. */
const PARCEL_KEEP = '7 days';

/** Patch of the parcel path, asked only when what the desk holds is past CARRY_INLINE_BYTES. */
export const DESK_PARCELS_PATCH = 'desk-parcels';

/** UTF-8 bytes of a string, as its JSON payload will be sent (a Chinese character is three). */
export function utf8Bytes(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

export interface DeskHolding {
  pending: OutgoingMessage[];
  digests: OutgoingMessage[];
  status: [string, DutyStatus][];
  sent: string[];
  /** A shard's moved keys (0.9.1); a piece has the field only when it holds some. */
  moved?: [string, Moved][];
}

/** What the desk holds, cut into pieces of at most `limit` bytes each (an item larger than that is a piece alone). */
export function cutParcels(h: DeskHolding, limit = PARCEL_BYTES): DeskHolding[] {
  const pieces: DeskHolding[] = [];
  let piece: DeskHolding = { pending: [], digests: [], status: [], sent: [] };
  let bytes = 0;
  const add = <K extends keyof DeskHolding>(field: K, value: NonNullable<DeskHolding[K]>[number]) => {
    const size = utf8Bytes(JSON.stringify(value)) + 1;
    if (bytes + size > limit && bytes > 0) {
      pieces.push(piece);
      piece = { pending: [], digests: [], status: [], sent: [] };
      bytes = 0;
    }
    ((piece[field] ??= [] as never) as NonNullable<DeskHolding[K]>[number][]).push(value);
    bytes += size;
  };
  for (const v of h.pending) add('pending', v);
  for (const v of h.digests) add('digests', v);
  for (const v of h.status) add('status', v);
  for (const v of h.sent) add('sent', v);
  for (const v of h.moved ?? []) add('moved', v);
  if (bytes > 0) pieces.push(piece);
  return pieces;
}

/** Starts one parcel per piece, one after another (each start its own workflow task), and gives back their ids. */
export async function leaveParcels(deskId: string, pieces: DeskHolding[]): Promise<string[]> {
  const ids: string[] = [];
  const { runId } = workflowInfo();
  for (const [i, piece] of pieces.entries()) {
    const parcelId = `${deskId}/parcel/${runId}/${i}`;
    await startChild(deskParcelWorkflow, { workflowId: parcelId, args: [{ deskId, parcel: { parcelId, ...piece } }], parentClosePolicy: ParentClosePolicy.ABANDON });
    ids.push(parcelId);
  }
  return ids;
}

/**
 * The new run's side: asks every parcel for its piece and waits until all have come (or PARCEL_WAIT_MS), taking
 * each in with `take`. The handler is set before the asking, so no piece can come before it.
 */
export async function collectParcels(ids: string[], take: (p: DeskParcel) => void): Promise<string[]> {
  const awaited = new Set(ids);
  setHandler(deskParcelSignal, (p) => {
    if (!awaited.delete(p.parcelId)) return;
    take(p);
  });
  await Promise.all(ids.map((id) => getExternalWorkflowHandle(id).signal(parcelFetchSignal).catch(() => undefined)));
  await condition(() => awaited.size === 0, PARCEL_WAIT_MS);
  return [...awaited];
}

/** A parcel: holds one piece of a desk until the desk's next run asks for it, then hands it over and ends. */
export async function deskParcelWorkflow(args: { deskId: string; parcel: DeskParcel }): Promise<void> {
  let asked = false;
  setHandler(parcelFetchSignal, () => {
    asked = true;
  });
  if (!(await condition(() => asked, PARCEL_KEEP))) return;
  for (let attempt = 0; ; attempt++) {
    try {
      await getExternalWorkflowHandle(args.deskId).signal(deskParcelSignal, args.parcel);
      return;
    } catch (err) {
      // The desk between two runs refuses a signal for a moment; after a minute of tries it is gone.
      if (attempt >= 5) throw err;
      await sleep(2_000 * 2 ** attempt);
    }
  }
}
