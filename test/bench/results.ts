/**
 * Machine-readable bench results: every bench appends its figures as JSON lines to the file named by
 * BENCH_RESULTS_FILE (set by `npm run bench`, test/bench/run-all.ts); test/bench/report.ts gathers
 * them into bench/results/latest.md. Run alone (no BENCH_RESULTS_FILE) a bench only prints.
 *
 * A figure names its raw baseline (another figure of the same bench, measured in the same run) when
 * it has one, so the report gives the ratio to it; a target, when there is one, gets its own ratio
 * (> 1 is met).
 */
import { spawnSync } from 'node:child_process';
import { appendFileSync, readFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { resolve } from 'node:path';

export interface Figure {
  /** Which bench: token, event-store, worker, dashboard, http. */
  bench: string;
  /** A heading within the bench (e.g. 'SQLite', 'PostgreSQL', 'catch-up'). */
  section?: string;
  figure: string;
  value: number;
  unit: string;
  /** true when more is better (throughput); false for latency, memory, time. */
  higherIsBetter?: boolean;
  /** This figure is a raw baseline others are compared with. */
  isBaseline?: boolean;
  /** The `figure` names of the raw baselines (same bench and section) this one is set against. */
  baselines?: string[];
  /**
   * `or`: another figure of the same bench whose target meets this one too (a target the issue
   * gives two ways to meet, each its own figure): this one reads as met when either is.
   */
  target?: { value: number; text: string; or?: string };
  note?: string;
}

export interface BenchRecord {
  /** start, run and end are written by test/bench/run-all.ts: the run's start, each bench's time and exit, the machine at the end. */
  kind: 'figure' | 'options' | 'note' | 'broken' | 'start' | 'run' | 'end';
  bench: string;
  figure?: Figure;
  options?: Record<string, unknown>;
  text?: string;
}

const file = () => process.env.BENCH_RESULTS_FILE;

function write(record: BenchRecord): void {
  const to = file();
  if (to) appendFileSync(to, `${JSON.stringify(record)}\n`);
}

/** Records one figure (a no-op unless BENCH_RESULTS_FILE is set). */
export function emitFigure(figure: Figure): void {
  write({ kind: 'figure', bench: figure.bench, figure });
}

/** The sizes a bench ran with, so the report says what its figures are of. */
export function emitOptions(bench: string, options: Record<string, unknown>): void {
  write({ kind: 'options', bench, options });
}

export function emitNote(bench: string, text: string): void {
  write({ kind: 'note', bench, text });
}

/** Something broke (not a missed target): the report lists it. */
export function emitBroken(bench: string, text: string): void {
  write({ kind: 'broken', bench, text });
}

/** The machine a run was on, for a report's heading. */
export function machine(): {
  cpus: number;
  model: string;
  memoryGb: number;
  node: string;
  loadAverage: number[];
  commit: string | null;
  dirty: boolean;
  /** All CPUs' time since boot and the part of it the host gave to others (/proc/stat's steal), in ticks; null off Linux. */
  cpuTicks?: { total: number; steal: number } | null;
} {
  const root = resolve(__dirname, '../..');
  const git = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' });
  const status = spawnSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: root, encoding: 'utf8' });
  return {
    cpus: cpus().length,
    model: cpus()[0]?.model?.trim() ?? 'unknown',
    memoryGb: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    loadAverage: loadavg(),
    commit: git.status === 0 ? git.stdout.trim() : null,
    dirty: status.status === 0 && status.stdout.trim().length > 0,
    cpuTicks: cpuTicks(),
  };
}

/** /proc/stat's first line: user nice system idle iowait irq softirq steal ... (ticks, every CPU). */
function cpuTicks(): { total: number; steal: number } | null {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/).slice(1, 9).map(Number);
    if (fields.length < 8 || fields.some((n) => !Number.isFinite(n))) return null;
    return { total: fields.reduce((a, b) => a + b, 0), steal: fields[7]! };
  } catch {
    return null;
  }
}
