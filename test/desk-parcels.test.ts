/**
 * A desk continuing as new while it holds a city's evening (issue #27): it carried every item in the new run's input,
 * and past Temporal's 2 MB payload limit that continue-as-new failed, so the path could never succeed. Now what does
 * not fit goes in parcels that the new run collects. What people notice: at the instant every unit gets its one
 * message with all its duties, as if the desk had never continued. The 10,000-item desk itself is a drill
 * (test/drills/slow/desk-parcels.test.ts, `npm run drills`); here, the cutting.
 */
import { describe, expect, it } from 'vitest';
import { cutParcels, PARCEL_BYTES, utf8Bytes } from '../workflows/desk-parcels';
import { deskItem } from './desk-items';

const UNITS = 100;


describe('cutting what a desk holds into parcels', () => {
  it('keeps every piece under the parcel size and loses nothing', () => {
    const pending = Array.from({ length: 5_000 }, (_, i) => deskItem(i, 0, UNITS));
    const pieces = cutParcels({ pending, digests: [], status: [['a', 'open']], sent: ['1|x'] });
    expect(pieces.length).toBeGreaterThan(1);
    for (const p of pieces) expect(utf8Bytes(JSON.stringify(p))).toBeLessThan(PARCEL_BYTES + 4096);
    expect(pieces.flatMap((p) => p.pending).map((m) => m.key)).toEqual(pending.map((m) => m.key));
    expect(pieces.flatMap((p) => p.status)).toEqual([['a', 'open']]);
    expect(utf8Bytes('督')).toBe(3);
  });

  it('cuts a shard’s moved keys with the rest, so a raise on a city’s desk does not ride in one input (0.9.1)', () => {
    // 20,000 keys passed on after a raise: some 2.6 MB, which 0.9.0 carried inline whatever their size.
    const moved = Array.from({ length: 20_000 }, (_, i): [string, { at: number; dutyId: string; to: string[] }] => [`campaign/d${i}/reminder/2022-05-17`, { at: 1652749200000, dutyId: `campaign/d${i}`, to: [`duban/desk/shard-${i % 7}`] }]);
    expect(utf8Bytes(JSON.stringify(moved))).toBeGreaterThan(2 * 1024 * 1024);
    const pieces = cutParcels({ pending: [], digests: [], status: [], sent: [], moved });
    expect(pieces.length).toBeGreaterThan(2);
    for (const p of pieces) expect(utf8Bytes(JSON.stringify(p))).toBeLessThan(PARCEL_BYTES + 4096);
    expect(pieces.flatMap((p) => p.moved ?? [])).toEqual(moved);
  });
});
