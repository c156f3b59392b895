/** The benchmark's chart: one panel per figure, bars for duban and its baseline, a dashed line for the target. */
import { late, tenThousandText } from './summary';

interface Bar {
  label: string;
  value: number | null;
  /** duban's figure or the baseline's. */
  kind: 'duban' | 'baseline';
  text?: string;
}

interface Panel {
  title: string;
  unit: string;
  bars: Bar[];
  /** Target line (same unit), and whether it is a floor (≥) or a ceiling (<). */
  target?: { value: number; label: string };
  note?: string;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const int = (v: unknown) => Number(v).toLocaleString('en-US');
const fmt = (n: number) => (n >= 100 ? Math.round(n).toLocaleString('en-US') : n >= 10 ? n.toFixed(1) : n.toFixed(2));

type R = Record<string, unknown>;
const obj = (v: unknown): R => (v && typeof v === 'object' ? (v as R) : {});
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

export function panelsOf(results: R): Panel[] {
  const panels: Panel[] = [];
  const cs = obj(results.campaignStart);
  if (Object.keys(cs).length) {
    const bars: Bar[] = [];
    for (const label of ['county', 'province']) {
      const f = obj(cs[label]);
      if (!Object.keys(f).length) continue;
      bars.push({ label: `${label} (${int(f.n)}) trivial`, value: num(f.trivialPerSecond), kind: 'baseline' });
      bars.push({ label: `${label} (${int(f.n)}) duties`, value: num(f.dutyPerSecond), kind: 'duban', text: `ratio ${f.ratio} (target ≥ 0.7)` });
    }
    panels.push({ title: '1. Campaign start', unit: 'workflows/s', bars });
  }
  const st = obj(results.storm);
  if (Object.keys(st).length) {
    const d = obj(st.duty);
    const t = obj(st.trivial);
    panels.push({
      title: `2. Deadline storm (N = ${Number(st.n).toLocaleString('en-US')})`,
      unit: 'deliveries/s',
      bars: [
        { label: 'trivial activities', value: num(t.deliveriesPerSecond), kind: 'baseline', text: `${int(t.delivered)} run; late p50 ${late(t.p50LatenessMs, t.budgetMs)}, p99 ${late(t.p99LatenessMs, t.budgetMs)}` },
        {
          label: 'duty reminders by email',
          value: num(d.deliveriesPerSecond),
          kind: 'duban',
          text: `ratio ${st.ratio}; ${int(d.delivered)} delivered; late p50 ${late(d.p50LatenessMs, d.budgetMs)}, p99 ${late(d.p99LatenessMs, d.budgetMs)}`,
        },
      ],
      note: `10,000 reminders: ${tenThousandText(obj(st.tenThousand))} (target: all within 300 s)`,
    });
  }
  const rp = obj(results.replies);
  if (Object.keys(rp).length) {
    panels.push({
      title: `3. Reply round trip (${rp.n} replies)`,
      unit: 'ms',
      bars: [
        { label: 'p50', value: num(rp.p50Ms), kind: 'duban' },
        { label: 'p99', value: num(rp.p99Ms), kind: 'duban' },
      ],
      target: { value: 300, label: 'p99 < 300 ms' },
    });
  }
  const mem = obj(results.memory);
  if (Object.keys(mem).length) {
    const points = Array.isArray(mem.points) ? (mem.points as R[]) : [];
    panels.push({
      title: `4. Worker memory (the storm's worker process; peak during the storm ${mem.peakDuringStormMiB} MiB)`,
      unit: 'MiB',
      bars: [
        { label: 'duban worker, idle', value: num(mem.idleRssMiB), kind: 'baseline' },
        ...(num(obj(mem.baseline).trivialWorkerRssMiB) !== null
          ? [
              {
                label: `${int(obj(mem.baseline).openTrivialWorkflows)} trivial workflows`,
                value: num(obj(mem.baseline).trivialWorkerRssMiB),
                kind: 'baseline' as const,
                text: 'baseline worker',
              },
            ]
          : []),
        ...points.map((p): Bar => ({ label: `${int(p.openDuties)} open duties`, value: num(p.rssMiB), kind: 'duban', text: `peak ${p.peakMiB} MiB` })),
      ],
      target: { value: 1024, label: '< 1 GiB' },
    });
  }
  const yr = obj(results.year);
  if (num(yr.simulationSeconds) !== null) {
    panels.push({
      title: '5. Year simulation (time-skipping server)',
      unit: 's',
      bars: [{ label: `seed plan, ${int(yr.messages)} messages`, value: num(yr.simulationSeconds), kind: 'duban' }],
      target: { value: 60, label: '< 60 s' },
    });
  }
  return panels;
}

export function renderChart(results: R): string {
  const panels = panelsOf(results);
  const width = 1040;
  const labelW = 230;
  const barMax = width - labelW - 380;
  const rowH = 26;
  let y = 58;
  const parts: string[] = [];
  const machine = obj(results.machine);
  parts.push(
    `<text x="20" y="28" font-size="18" font-weight="bold">duban benchmark — ${esc(String(results.mode ?? ''))} run, ${esc(String(results.date ?? '').slice(0, 10))}</text>`,
    `<text x="20" y="46" font-size="12" fill="#555">${esc(`${machine.cpus} cores, ${machine.memoryGiB} GiB, Node ${machine.node}; ${machine.temporalServer}`)}</text>`,
  );
  for (const p of panels) {
    y += 22;
    parts.push(`<text x="20" y="${y}" font-size="14" font-weight="bold">${esc(p.title)} <tspan font-weight="normal" fill="#555">(${esc(p.unit)})</tspan></text>`);
    y += 8;
    const max = Math.max(1e-9, ...p.bars.map((b) => b.value ?? 0), p.target?.value ?? 0) * 1.05;
    const top = y;
    for (const b of p.bars) {
      const w = b.value === null ? 0 : Math.max(1, (b.value / max) * barMax);
      const fill = b.kind === 'duban' ? '#c0392b' : '#95a5a6';
      parts.push(
        `<text x="${labelW - 8}" y="${y + 17}" font-size="12" text-anchor="end">${esc(b.label)}</text>`,
        `<rect x="${labelW}" y="${y + 4}" width="${w.toFixed(1)}" height="${rowH - 8}" fill="${fill}"/>`,
        `<text x="${labelW + w + 6}" y="${y + 17}" font-size="12">${b.value === null ? 'n/a' : fmt(b.value)}${b.text ? ` <tspan fill="#555">${esc(b.text)}</tspan>` : ''}</text>`,
      );
      y += rowH;
    }
    if (p.target) {
      const x = labelW + (p.target.value / max) * barMax;
      parts.push(
        `<line x1="${x.toFixed(1)}" y1="${top}" x2="${x.toFixed(1)}" y2="${y + 4}" stroke="#2c3e50" stroke-dasharray="4 3"/>`,
        `<text x="${x.toFixed(1)}" y="${y + 15}" font-size="11" text-anchor="middle" fill="#2c3e50">target ${esc(p.target.label)}</text>`,
      );
      y += 14;
    }
    if (p.note) {
      y += 14;
      parts.push(`<text x="${labelW}" y="${y}" font-size="12" fill="#333">${esc(p.note)}</text>`);
    }
    y += 6;
  }
  y += 24;
  parts.push(
    `<rect x="20" y="${y - 10}" width="12" height="10" fill="#c0392b"/><text x="38" y="${y}" font-size="12">duban</text>`,
    `<rect x="100" y="${y - 10}" width="12" height="10" fill="#95a5a6"/><text x="118" y="${y}" font-size="12">baseline on the same server, same run</text>`,
  );
  y += 16;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${y}" viewBox="0 0 ${width} ${y}" font-family="sans-serif">\n<rect width="100%" height="100%" fill="#fff"/>\n${parts.join('\n')}\n</svg>\n`;
}
