/** The results as table rows (figure, duban, baseline, ratio, target, met) and as a Markdown table. */

type R = Record<string, unknown>;
const obj = (v: unknown): R => (v && typeof v === 'object' ? (v as R) : {});
const has = (v: unknown) => Object.keys(obj(v)).length > 0;
const n = (v: unknown) => (typeof v === 'number' ? v.toLocaleString('en-US') : 'n/a');

export interface Row {
  figure: string;
  duban: string;
  baseline: string;
  ratio: string;
  target: string;
  met: boolean | null;
}

export function summaryRows(results: R): Row[] {
  const rows: Row[] = [];
  const cs = obj(results.campaignStart);
  for (const label of ['county', 'province']) {
    const f = obj(cs[label]);
    if (!has(f)) continue;
    const rounds = Number(f.rounds ?? 1);
    rows.push({
      figure: `Campaign start, ${label}: ${n(f.n)} duties${rounds > 1 ? ` (× ${rounds} rounds)` : ''}`,
      duban: `${n(f.dutyPerSecond)} workflows/s`,
      baseline: `${n(f.trivialPerSecond)} trivial workflows/s`,
      ratio: String(f.ratio),
      target: 'ratio ≥ 0.7',
      met: f.met as boolean,
    });
  }
  const st = obj(results.storm);
  if (has(st)) {
    const d = obj(st.duty);
    const t = obj(st.trivial);
    rows.push({
      figure: `Deadline storm: ${n(st.n)} reminders due at one instant, by email to the SMTP sink`,
      duban: `${n(d.deliveriesPerSecond)} deliveries/s; ${n(d.delivered)} delivered, lateness p50 ${n(d.p50LatenessMs)} ms, p99 ${n(d.p99LatenessMs)} ms`,
      baseline: `${n(t.deliveriesPerSecond)} trivial activities/s; lateness p50 ${n(t.p50LatenessMs)} ms, p99 ${n(t.p99LatenessMs)} ms`,
      ratio: String(st.ratio),
      target: 'ratio ≥ 0.7',
      met: st.ratioMet as boolean,
    });
    const k = obj(st.tenThousand);
    rows.push({
      figure: '10,000-duty storm delivered',
      duban: `${k.deliveredWithin5Min !== null && k.deliveredWithin5Min !== undefined ? `${n(k.deliveredWithin5Min)} of 10,000 within 5 min; ` : ''}all 10,000: ${n(k.seconds)} s (${String(k.how)})`,
      baseline: '',
      ratio: '',
      target: '≤ 300 s',
      met: k.met as boolean,
    });
  }
  const rp = obj(results.replies);
  if (has(rp)) {
    rows.push({
      figure: `Reply round trip (收到 N → Update → confirmation), ${n(rp.n)} replies`,
      duban: `p50 ${n(rp.p50Ms)} ms, p99 ${n(rp.p99Ms)} ms (max ${n(rp.maxMs)} ms)`,
      baseline: '',
      ratio: '',
      target: 'p99 < 300 ms',
      met: rp.met as boolean,
    });
  }
  const mem = obj(results.memory);
  if (has(mem)) {
    const points = Array.isArray(mem.points) ? (mem.points as R[]) : [];
    rows.push({
      figure: 'Worker RSS with open duties (one worker process)',
      duban: points.map((p) => `${n(p.openDuties)}: ${n(p.rssMiB)} MiB`).join('; ') + `; peak during the storm ${n(mem.peakDuringStormMiB)} MiB`,
      baseline: `idle worker ${n(mem.idleRssMiB)} MiB`,
      ratio: '',
      target: '< 1,024 MiB at 10,000',
      met: (mem.met as boolean | null) ?? null,
    });
  }
  const yr = obj(results.year);
  if (has(yr)) {
    rows.push({
      figure: 'Year simulation, seed plan, replies none (time-skipping server)',
      duban: yr.skipped ? String(yr.skipped) : `${n(yr.simulationSeconds)} s (${n(yr.messages)} messages; ${n(yr.withServerStartSeconds)} s with the server's start)`,
      baseline: '',
      ratio: '',
      target: '< 60 s',
      met: (yr.met as boolean | undefined) ?? null,
    });
  }
  return rows;
}

export function summaryMarkdown(results: R): string {
  const m = obj(results.machine);
  const head = `Machine: ${m.cpus} cores (${m.cpuModel}), ${m.memoryGiB} GiB, Node ${m.node}, ${m.temporalServer}. Date: ${String(results.date ?? '').slice(0, 10)}. ${results.mode} run, ${n(results.wallSeconds)} s.`;
  const cell = (s: string) => s.replace(/\|/g, '\\|');
  const lines = ['| figure | duban | baseline (same server, same run) | ratio | target | met |', '|---|---|---|---|---|---|'];
  for (const r of summaryRows(results)) {
    lines.push(`| ${[r.figure, r.duban, r.baseline, r.ratio, r.target, r.met === null ? '—' : r.met ? 'yes' : '**no**'].map(cell).join(' | ')} |`);
  }
  return `${head}\n\n${lines.join('\n')}\n`;
}
