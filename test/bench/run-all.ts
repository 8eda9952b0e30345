/**
 * `npm run bench`: every bench in sequence, then ONE markdown report of all their figures, each beside
 * the raw baseline measured in the same run, to bench/results/latest.md (test/bench/report.ts).
 *
 * Each bench runs in its own process with BENCH_RESULTS_FILE set, and appends its figures there as
 * JSON lines (test/bench/results.ts); a bench that fails is listed in the report with its exit code
 * and the next one still runs. The raw lines stay in bench-results/run-<time>.jsonl (git-ignored).
 *
 * Options (env): BENCH_ONLY (comma list of token, event-store, worker, dashboard, http; default all),
 * BENCH_QUICK=1 (small sizes, a check that every bench runs, figures meaningless; its report goes to
 * bench/results/quick-latest.md), BENCH_REPORT (default bench/results/latest.md), SKIP_BUILD=1
 * (bench:http uses dist/ as it is).
 * Every bench's own options pass through (docs/operations.md, "Benchmarks").
 */
import { spawnSync } from 'node:child_process';
import { appendFileSync, mkdirSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { machine, type BenchRecord } from './results';
import { writeReport } from './report';

const root = resolve(__dirname, '../..');
const BENCHES = ['token', 'event-store', 'worker', 'dashboard', 'http'] as const;
const only = (process.env.BENCH_ONLY ?? BENCHES.join(',')).split(',').map((s) => s.trim());
const unknown = only.filter((b) => !(BENCHES as readonly string[]).includes(b));
if (unknown.length) {
  console.error(`BENCH_ONLY: unknown bench ${unknown.join(', ')} (one of ${BENCHES.join(', ')})`);
  process.exit(2);
}

/** Small sizes for BENCH_QUICK=1; anything set in the environment wins. */
const QUICK: Record<string, Record<string, string>> = {
  token: { BENCH_SECONDS: '1' },
  'event-store': { BENCH_SECONDS: '1', BENCH_PG_EVENTS: '5000' },
  worker: {
    BENCH_EVENTS: '20000',
    BENCH_CATCHUP_MAX_SECONDS: '30',
    BENCH_LAG_RATE: '200',
    BENCH_LAG_SECONDS: '3',
    BENCH_LIVE_REQUESTS: '500',
    BENCH_ALERTS: '20',
    BENCH_TIMERS: '2000',
  },
  dashboard: { BENCH_DASHBOARD_REQUESTS: '2000', BENCH_DASHBOARD_RUNS: '3' },
  http: {
    BENCH_HTTP_REQUESTS: '2000',
    BENCH_HTTP_EVENTS: '20000',
    BENCH_HTTP_SECONDS: '3',
    BENCH_HTTP_DEEP_REQUESTS: '50',
    BENCH_HTTP_ALERTS: '20',
    BENCH_HTTP_WARMUP: '1',
  },
};

function main(): number {
  const quick = process.env.BENCH_QUICK === '1';
  const startedAt = new Date();
  mkdirSync(join(root, 'bench-results'), { recursive: true });
  const file = join(root, 'bench-results', `run-${startedAt.toISOString().replace(/[:.]/g, '-')}.jsonl`);
  const record = (r: BenchRecord) => appendFileSync(file, `${JSON.stringify(r)}\n`);
  record({ kind: 'start', bench: '', options: { startedAt: startedAt.toISOString(), quick, machine: machine() } });

  if (only.includes('http') && process.env.SKIP_BUILD !== '1') {
    console.log('[bench] building dist/ for bench:http (npm run build; SKIP_BUILD=1 skips it)...');
    const build = spawnSync('npm', ['run', 'build', '--silent'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
    if (build.status !== 0) {
      console.error(`[bench] npm run build failed (exit ${build.status})`);
      return 1;
    }
  }

  let failed = 0;
  for (const bench of BENCHES) {
    if (!only.includes(bench)) continue;
    console.log(`\n[bench] ${bench}${quick ? ' (BENCH_QUICK sizes)' : ''}...`);
    const env = { ...(quick ? QUICK[bench] : {}), ...process.env, BENCH_RESULTS_FILE: file, SKIP_BUILD: '1' };
    const t = Date.now();
    const run = spawnSync(
      process.execPath,
      ['-r', join(root, 'libs/event-store/src/testing/register-ts.js'), join(__dirname, `${bench}.bench.ts`)],
      { cwd: root, env, stdio: 'inherit' },
    );
    const seconds = (Date.now() - t) / 1000;
    const exit = run.status ?? (run.signal ? `${run.signal}` : 'unknown');
    if (run.status !== 0) failed++;
    record({ kind: 'run', bench, options: { seconds, exit } });
    console.log(`[bench] ${bench}: exit ${exit} after ${seconds.toFixed(0)} s`);
  }

  record({ kind: 'end', bench: '', options: { machine: machine() } });
  // A quick check's figures never overwrite the real report.
  const out = resolve(root, process.env.BENCH_REPORT ?? (quick ? 'bench/results/quick-latest.md' : 'bench/results/latest.md'));
  writeReport(file, out);
  console.log(`\n[bench] report: ${relative(root, out)} (raw figures: ${relative(root, file)})`);
  return failed ? 1 : 0;
}

process.exit(main());
