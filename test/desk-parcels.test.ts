/**
 * A desk continuing as new while it holds a city's evening (issue #27): it carried every item in the new run's input,
 * and past Temporal's 2 MB payload limit that continue-as-new failed, so the path could never succeed. Now what does
 * not fit goes in parcels that the new run collects. What people notice: at the instant every unit gets its one
 * message with all its duties, as if the desk had never continued. The 10,000-item desk itself is a drill
 * (test/drills/slow/desk-parcels.test.ts, `npm run drills`); here, the cutting.
 */
import { describe, expect, it } from 'vitest';
import { cutParcels, PARCEL_BYTES, utf8Bytes } from '../workflows/desk-parcels';
import type { OutgoingMessage } from '../workflows/types';

const UNITS = 100;

function itemFor(i: number, at: number): OutgoingMessage {
  const unit = `测试单位${String(i % UNITS).padStart(3, '0')}`;
  return {
    key: `parcels/d${i}/reminder/2022-05-17`,
    kind: 'reminder',
    dutyId: `parcels/d${i}`,
    taskNumber: 1 + (i % 23),
    unit,
    toUnits: [unit],
    recipients: [{ unit, role: 'coordinators' }],
    level: 'yellow',
    at,
    deadline: '2022-05-20',
    subject: `【督办提醒】任务${1 + (i % 23)}：巩固拓展脱贫攻坚成果同乡村振兴有效衔接`,
    text: `${unit}：任务“完善防返贫动态监测帮扶机制，5月底前完成全县年度集中排查”还有 3 个工作日截止（2022-05-20）。请按时办理，完成后回复“完成 ${i}”。`,
  };
}

describe('cutting what a desk holds into parcels', () => {
  it('keeps every piece under the parcel size and loses nothing', () => {
    const pending = Array.from({ length: 5_000 }, (_, i) => itemFor(i, 0));
    const pieces = cutParcels({ pending, digests: [], status: [['a', 'open']], sent: ['1|x'] });
    expect(pieces.length).toBeGreaterThan(1);
    for (const p of pieces) expect(utf8Bytes(JSON.stringify(p))).toBeLessThan(PARCEL_BYTES + 4096);
    expect(pieces.flatMap((p) => p.pending).map((m) => m.key)).toEqual(pending.map((m) => m.key));
    expect(pieces.flatMap((p) => p.status)).toEqual([['a', 'open']]);
    expect(utf8Bytes('督')).toBe(3);
  });
});
