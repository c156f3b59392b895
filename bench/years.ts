/**
 * `npm run years [-- --silent 20 --mixed 10 --year 2022]`: runs `duban simulate --json` again and again, each
 * run in its own process on its own time-skipping server exactly as a user runs it, and checks that no run
 * hangs and that the runs of each kind print the same year, byte for byte.
 *
 * A run counts as hung when it fails (the simulator's progress watch ends a run that stops moving, naming the
 * stuck workflow) or outlives --timeout seconds. Prints one line per run and a summary; writes
 * bench/results/years.json. Exits 1 on any hang or difference.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

interface Run {
  replies: 'none' | 'mixed';
  index: number;
  exitCode: number | null;
  timedOut: boolean;
  wallMs: number;
  lines: number;
  sha256: string;
  /** The simulator's last line on standard error: its summary, or why it failed. */
  last: string;
}

const { values } = parseArgs({
  options: {
    silent: { type: 'string', default: '20' },
    mixed: { type: 'string', default: '10' },
    year: { type: 'string', default: '2022' },
    timeout: { type: 'string', default: '600' },
    out: { type: 'string', default: join(__dirname, 'results', 'years.json') },
  },
});

const duban = join(__dirname, '..', 'bin', 'duban.js');

function simulate(replies: Run['replies'], index: number): Promise<Run> {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(process.execPath, [duban, 'simulate', '--year', values.year, '--replies', replies, '--json'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const hash = createHash('sha256');
    let lines = 0;
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      hash.update(chunk);
      for (const b of chunk) if (b === 10) lines++;
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString('utf8')).slice(-4000);
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGTERM');
    }, Number(values.timeout) * 1000);
    child.on('close', (exitCode) => {
      clearTimeout(timer);
      const last = stderr.trim().split('\n').pop() ?? '';
      resolve({ replies, index, exitCode, timedOut, wallMs: Date.now() - started, lines, sha256: hash.digest('hex'), last });
    });
  });
}

async function main(): Promise<number> {
  const plan: Run['replies'][] = [...Array<'none'>(Number(values.silent)).fill('none'), ...Array<'mixed'>(Number(values.mixed)).fill('mixed')];
  const runs: Run[] = [];
  const began = Date.now();
  for (const [i, replies] of plan.entries()) {
    const run = await simulate(replies, i + 1);
    runs.push(run);
    const status = run.timedOut ? 'TIMED OUT' : run.exitCode === 0 ? 'ok' : `FAILED (exit ${run.exitCode})`;
    process.stdout.write(
      `run ${String(run.index).padStart(2)} --replies ${replies.padEnd(5)} ${status.padEnd(16)} ${(run.wallMs / 1000).toFixed(1).padStart(6)} s  ${String(run.lines).padStart(5)} lines  sha256 ${run.sha256.slice(0, 16)}` +
        (status === 'ok' ? '' : `\n    ${run.last}`) +
        '\n',
    );
  }
  let failures = 0;
  const summary: Record<string, unknown> = {};
  for (const replies of ['none', 'mixed'] as const) {
    const of = runs.filter((r) => r.replies === replies);
    if (!of.length) continue;
    const hung = of.filter((r) => r.timedOut || r.exitCode !== 0);
    const outputs = new Set(of.filter((r) => !hung.includes(r)).map((r) => r.sha256));
    const walls = of.map((r) => r.wallMs / 1000).sort((a, b) => a - b);
    const median = walls[Math.floor(walls.length / 2)] ?? 0;
    failures += hung.length + (outputs.size > 1 ? 1 : 0);
    summary[replies] = { runs: of.length, hung: hung.length, distinctOutputs: outputs.size, lines: of[0]?.lines, wallSeconds: { min: walls[0], median, max: walls[walls.length - 1] } };
    process.stdout.write(
      `--replies ${replies}: ${of.length} runs, ${hung.length} hung, ${outputs.size} distinct output${outputs.size === 1 ? '' : 's'} ` +
        `(${of[0]?.lines} lines), wall ${walls[0]?.toFixed(1)}–${walls[walls.length - 1]?.toFixed(1)} s, median ${median.toFixed(1)} s\n`,
    );
  }
  process.stdout.write(`total ${((Date.now() - began) / 1000).toFixed(0)} s; ${failures === 0 ? 'every run finished, runs of each kind identical' : 'FAILED'}\n`);
  mkdirSync(join(values.out, '..'), { recursive: true });
  writeFileSync(values.out, `${JSON.stringify({ date: new Date().toISOString(), year: values.year, summary, runs }, null, 2)}\n`);
  return failures === 0 ? 0 : 1;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`${String(err)}\n`);
    process.exitCode = 1;
  },
);
