/**
 * Access log micro-benchmark (ADR 0014, 2026-12-02): what recording a 100-row queue page costs the
 * api's event loop, with the SQLite writes inline (on that loop, as before) and on the writer thread.
 *
 *   node -r ./libs/event-store/src/testing/register-ts.js test/bench/access-log.bench.ts
 *
 * One process, the real AccessLog and SqliteAccessLogStore on a temp file holding BENCH_PREFILL
 * entries over 20,000 cases. A client asks for pages one at a time, as bench:http's queue phase does:
 * each "request" arrives on the next turn of the event loop (setImmediate), does a fixed amount of
 * CPU work (BENCH_WORK JSON round trips of 100 rows: a stand-in for the page's own work) and records
 * its 100 rows. A flush timer
 * that runs between two requests delays the second: that is the tail the bench shows. Printed per
 * writer: the request latency p50/p99/max, and the CPU per page beyond the page's own work, of the
 * main thread (/proc: what the loop could not spend on requests) and of the process (all threads). Modes alternate for BENCH_ROUNDS rounds of BENCH_SECONDS each; compare figures of one run.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { AppMetrics, SystemClock } from '@send/platform';
import { AccessLog, requestRead } from '../../apps/api/src/access-log/access-log.service';
import { SqliteAccessLogStore } from '../../apps/api/src/access-log/sqlite-access-log-store';
import { packRead, type AccessRead } from '../../apps/api/src/access-log/access-log.port';
import type { AuthUser } from '../../apps/api/src/auth/roles';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const WORK = Number(process.env.BENCH_WORK ?? 2);
const PREFILL = Number(process.env.BENCH_PREFILL ?? 60_000);
const ROWS = 100;
const CASES = 20_000;

const officer: AuthUser = { id: 'officer-1', email: 'o@example.org', name: 'O', role: 'officer', teamId: 'north' };
const row = (i: number) => ({ id: `req-${i}`, caseRef: `C-${(i * 7919) % CASES}`, teamId: 'north' });

/** The page's own work: a fixed amount of CPU (serialising and parsing ~45 kB of rows), not a wall-clock spin, which a loaded machine stretches. */
const pageJson = JSON.stringify(
  Array.from({ length: ROWS }, (_, i) => ({
    ...row(i),
    status: 'open',
    category: 'annual-review',
    due: '2026-12-09T17:00:00.000Z',
    escalation: 0,
    receivedAt: '2026-12-01T09:00:00.000Z',
    filler: 'x'.repeat(300),
  })),
);
const work = () => {
  for (let i = 0; i < WORK; i++) JSON.stringify(JSON.parse(pageJson));
};

/** CPU seconds of this process's main thread only (Linux /proc; the writer thread is a task of its own). */
const mainThreadCpuMs = (): number => {
  const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime + stime, in clock ticks of 10 ms
};

async function run(
  writer: 'inline' | 'thread',
): Promise<{ latencies: number[]; pages: number; mainMs: number; cpuMs: number; workMs: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'access-log-bench-'));
  const store = new SqliteAccessLogStore(join(dir, 'access-log.db'), { writer });
  const at = Date.now() - 86_400_000;
  // Queue pages of ROWS reads each.
  const prefill: AccessRead[] = [];
  for (let p = 0; p * ROWS < PREFILL; p++)
    prefill.push({
      at: new Date(at + p),
      userId: `officer-${p % 50}`,
      role: 'officer',
      context: 'queue',
      via: 'api',
      items: Array.from({ length: ROWS }, (_, i) => ({ what: 'request', ...row((p * ROWS + i) * 13) })),
    });
  for (let i = 0; i < prefill.length; i += 100) await store.append(prefill.slice(i, i + 100).map(packRead));
  const log = new AccessLog(store, new SystemClock(), new AppMetrics('api'));
  // Warm up (and start the thread) before measuring.
  for (let i = 0; i < 50; i++)
    log.recordReads(
      officer,
      Array.from({ length: ROWS }, (_, k) => requestRead('request', row(i * ROWS + k))),
      { context: 'queue', via: 'api' },
    );
  await log.flush();

  const latencies: number[] = [];
  let page = 0;
  // The page's own work alone, to take it out of the figures below.
  const w0 = process.cpuUsage();
  for (let i = 0; i < 200; i++) work();
  const w = process.cpuUsage(w0);
  const workMs = (w.user + w.system) / 1000 / 200;
  const main0 = mainThreadCpuMs();
  const cpu0 = process.cpuUsage();
  const started = performance.now();
  await new Promise<void>((done) => {
    const ask = () => {
      const sent = performance.now();
      setImmediate(async () => {
        work();
        const first = (page++ * ROWS) % 1_000_000;
        // Awaited as the controllers do: a page waits while the log is HIGH_WATER behind.
        await log.recordReads(
          officer,
          Array.from({ length: ROWS }, (_, k) => requestRead('request', row(first + k))),
          { context: 'queue', via: 'api' },
        );
        latencies.push(performance.now() - sent);
        if (performance.now() - started < SECONDS * 1000) ask();
        else done();
      });
    };
    ask();
  });
  const mainMs = mainThreadCpuMs() - main0;
  const cpu = process.cpuUsage(cpu0);
  await log.close();
  rmSync(dir, { recursive: true, force: true });
  return { latencies, pages: page, mainMs, cpuMs: (cpu.user + cpu.system) / 1000, workMs };
}

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

async function main(): Promise<void> {
  console.log(
    `access log, one page of ${ROWS} rows at a time: the page's own work a fixed ${WORK} x JSON round trip of its rows, ${PREFILL.toLocaleString('en-GB')} entries already in the file, ` +
      `${ROUNDS} x ${SECONDS} s per writer; load average ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')} at the start`,
  );
  for (let round = 1; round <= ROUNDS; round++) {
    for (const writer of ['inline', 'thread'] as const) {
      const r = await run(writer);
      const sorted = [...r.latencies].sort((a, b) => a - b);
      console.log(
        `round ${round} ${writer.padEnd(6)} ${r.pages.toString().padStart(6)} pages  latency p50 ${pct(sorted, 50).toFixed(2)} ms  ` +
          `p99 ${pct(sorted, 99).toFixed(2)} ms  max ${sorted.at(-1)!.toFixed(2)} ms  ` +
          `CPU µs/page: main thread ${((r.mainMs * 1000) / r.pages - r.workMs * 1000).toFixed(0)}, ` +
          `process ${((r.cpuMs * 1000) / r.pages - r.workMs * 1000).toFixed(0)} (beyond the page's own work, ${(r.workMs * 1000).toFixed(0)})`,
      );
    }
  }
  console.log(
    `load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')} at the end`,
  );
}

void main();
