/** The results as table rows (figure, duban, baseline, ratio, target, met) and as a Markdown table. */

type R = Record<string, unknown>;
const obj = (v: unknown): R => (v && typeof v === 'object' ? (v as R) : {});
const has = (v: unknown) => Object.keys(obj(v)).length > 0;
const n = (v: unknown) => (typeof v === 'number' ? v.toLocaleString('en-US') : 'n/a');
/** A lateness figure; null means that rank was not delivered within the budget. */
export const late = (v: unknown, budgetMs: unknown) => (typeof v === 'number' ? `${(v / 1000).toLocaleString('en-US', { maximumFractionDigits: 1 })} s` : `> ${Number(budgetMs) / 1000} s`);

/** "all 300 in 12.7 s" or "3,036 of 10,000 within the 310 s budget". */
function delivered(f: R): string {
  return f.delivered === f.started
    ? `all ${n(f.delivered)} in ${late(f.lastMs, f.budgetMs)}`
    : `${n(f.delivered)} of ${n(f.started)} within the ${Number(f.budgetMs) / 1000} s budget`;
}

/** The 10,000-reminder figure: measured, or how many arrived within 5 minutes and the projection. */
export function tenThousandText(k: R): string {
  if (k.how === 'measured') return `all 10,000 in ${n(k.seconds)} s`;
  if (typeof k.deliveredWithin5Min === 'number') return `${n(k.deliveredWithin5Min)} of 10,000 within 5 min; all 10,000 would take ≈ ${n(k.seconds)} s at the measured rate`;
  return `≈ ${n(k.seconds)} s, ${String(k.how)}`;
}

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
      duban: `${n(d.deliveriesPerSecond)} deliveries/s; ${delivered(d)}; lateness p50 ${late(d.p50LatenessMs, d.budgetMs)}, p99 ${late(d.p99LatenessMs, d.budgetMs)}`,
      baseline: `${n(t.deliveriesPerSecond)} trivial activities/s; ${delivered(t)}; lateness p50 ${late(t.p50LatenessMs, t.budgetMs)}, p99 ${late(t.p99LatenessMs, t.budgetMs)}`,
      ratio: String(st.ratio),
      target: 'ratio ≥ 0.7',
      met: st.ratioMet as boolean,
    });
    const k = obj(st.tenThousand);
    rows.push({
      figure: '10,000-duty storm delivered',
      duban: tenThousandText(k),
      baseline: '',
      ratio: '',
      target: '≤ 300 s',
      met: k.met as boolean,
    });
  }
  const ty = obj(results.typical);
  if (has(ty)) {
    const sec = (ms: unknown) => (typeof ms === 'number' ? `${n(Math.round(ms / 100) / 10)} s` : '—');
    rows.push({
      figure: `Typical case: ${n(ty.n)} reminders over ${n(ty.units)} units at one instant, one morning message per unit`,
      duban: `${n(ty.unitsMessaged)}/${n(ty.units)} units' messages; first ${sec(ty.firstMs)}, median ${sec(ty.p50Ms)}, last ${sec(ty.lastMs)} after the instant; ${n(ty.lateMessages)} second messages, ${n(ty.repeats)} repeats`,
      baseline: '',
      ratio: '',
      target: 'every reminder ≤ 60 s',
      met: ty.met as boolean,
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
      baseline: `idle duban worker ${n(mem.idleRssMiB)} MiB; baseline worker with ${n(obj(mem.baseline).openTrivialWorkflows)} sleeping trivial workflows ${n(obj(mem.baseline).trivialWorkerRssMiB)} MiB (idle ${n(obj(mem.baseline).trivialWorkerIdleRssMiB)} MiB)`,
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
