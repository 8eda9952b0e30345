/**
 * HTTP benchmark: the real system from dist/ (api + worker processes, a redis-server of its own on a
 * free port, SQLite in a temp dir, DEMO=true, the default policy) under autocannon.
 *
 *   npm run bench:http            (builds dist/ first unless SKIP_BUILD=1)
 *   node -r ./libs/event-store/src/testing/register-ts.js test/bench/http.bench.ts
 *
 * 1. Seeds the SQLite file before the api starts, through the real decider (test/bench/http/seed.ts):
 *    BENCH_HTTP_REQUESTS open requests (the parent's, north team, unassigned), the alert probe's
 *    requests (two unanswered attempts each), BENCH_HTTP_DEEP_REQUESTS requests with ~200 events and
 *    as many with 2, and resolved history up to BENCH_HTTP_EVENTS events in all. Prints the seed rate.
 * 2. Starts api + worker, waits until checkpoint:projections (and the timers' checkpoint) reach the
 *    store's head, and prints how long the worker took.
 * 3. Measures, each phase with autocannon (50 connections, BENCH_HTTP_SECONDS): a raw Fastify JSON
 *    POST in a child process (the baseline; then its GET one at a time), attempts, submissions,
 *    responses, GET one request, the team queue's first page, a command on a 200-event vs a 2-event
 *    stream, the live SLA dashboard, and a mixed phase with all the calls at once while a probe (its
 *    own process) times the threshold-crossing attempt -> the manager's SSE alert. The two reads (GET
 *    one request, the queue's first page) also run one at a time (1 connection) first: their p99 < 10 ms
 *    targets are judged on that, the latency one user sees (docs/adr/0021-read-latency-targets.md).
 *    Then the same mix paced: requests arriving at random at a share of the rate the mixed phase
 *    reached, sent whether or not earlier ones were answered (an open loop, test/bench/http/paced.ts),
 *    with its own probe: the alert path when the machine is not saturated, for information beside
 *    the target, which is judged under the saturating mix.
 * 4. Prints a table per call, the targets with met / NOT MET and their ratios, and writes a JSON
 *    summary to bench-results/ (git-ignored) for before/after comparisons.
 *
 * A bench prints; it does not fail on a missed target. It exits non-zero only when something broke:
 * more non-2xx answers than BENCH_HTTP_MAX_NON2XX (share, default 0.01) on a call, connection errors
 * or timeouts, lost alerts, or the api or worker dying.
 *
 * Options (env): BENCH_HTTP_REQUESTS (open requests, default 100000), BENCH_HTTP_SECONDS (per phase,
 * 10), BENCH_HTTP_CONNECTIONS (50), BENCH_HTTP_EVENTS (events in the store for the dashboard, 200000;
 * 1000000 for the full figure), BENCH_HTTP_POOL (requests the attempts/responses rotate over, 300),
 * BENCH_HTTP_DEEP_REQUESTS (500), BENCH_HTTP_DEEP_EVENTS (200), BENCH_HTTP_ALERTS (200),
 * BENCH_HTTP_CASES (the case numbers the seeded requests name in turn, 20000, so the access log's
 * reads spread over cases as a council's would; 0: none, every read under no case),
 * BENCH_HTTP_ALERT_GAP_MS (default: spread over the mixed phase), BENCH_HTTP_WARMUP (seconds, 2),
 * BENCH_HTTP_PACED_SHARE (the paced mix's rate as a share of the mixed phase's, 0.5) or
 * BENCH_HTTP_PACED_RATE (req/s; the rate when the mixed phase does not run, default 500),
 * BENCH_HTTP_SETTLE_SECONDS (max wait for the worker to catch up, 1800), BENCH_HTTP_LOG_LEVEL (the
 * apps' LOG_LEVEL, warn), BENCH_HTTP_MAX_NON2XX (0.01), BENCH_HTTP_PHASES (comma list of raw,
 * attempts, submissions, responses, get, queue, deep, dashboard, mixed, paced; default all),
 * BENCH_HTTP_RESULTS (directory for the JSON summary, ./bench-results), BENCH_HTTP_TRACE_ALERTS=1 (the
 * apps trace each alert's stages, libs/notifications/src/alert-trace.ts, and the report splits the
 * alert path into them), SKIP_BUILD=1.
 */
import Database from 'better-sqlite3';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import Redis from 'ioredis';
import { REQUEST_STREAM_PREFIX } from '@send/domain';
import { SqliteEventStore } from '@send/event-store';
import { keys, PROJECTED_STREAM_PREFIXES, PROJECTIONS_NAME } from '@send/read-models';
import { OFFICER_EMAIL, PARENT_EMAIL, SERVICE_MANAGER_EMAIL, Seeder, TEAM_MANAGER_EMAIL } from './http/seed';
import { summary } from './worker/report';
import { statCpuUs } from './worker/profiling';
import { emitBroken, emitFigure, emitNote, emitOptions } from './results';
import { splitConnections, workloadCalls, type WorkloadCall, type WorkloadName } from './http/workload';
import { pacedLoad, type PacedResult } from './http/paced';
import type { ProbeResult } from './http/alert-probe';
import { metricValue } from '../support/prometheus-text';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { ensureRedisServer, startRedis, freePort } = require('../../scripts/lib/redis.js') as {
  ensureRedisServer(log: (m: string) => void): string;
  startRedis(o: { binary: string; port: number; dir: string; persistent: boolean; log?: (m: string) => void }): Promise<{
    url: string;
    child: ChildProcess;
    stop(): Promise<void>;
  }>;
  freePort(): Promise<number>;
};

/** The part of autocannon's programmatic API this bench uses (it ships no types). */
interface AutocannonRequest {
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string;
  setupRequest?: (req: AutocannonRequest, context: object) => AutocannonRequest;
}
interface AutocannonResult {
  duration: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  statusCodeStats: Record<string, { count: number }>;
}
interface AutocannonInstance {
  on(event: 'response', listener: (client: unknown, statusCode: number, resBytes: number, responseTime: number) => void): void;
  on(event: 'reqError', listener: (error: Error) => void): void;
  stop(): void;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const autocannon = require('autocannon') as (
  options: {
    url: string;
    connections: number;
    duration?: number;
    amount?: number;
    timeout?: number;
    requests: AutocannonRequest[];
  },
  done: (error: Error | null, result: AutocannonResult) => void,
) => AutocannonInstance;

const root = resolve(__dirname, '../..');
const num = (name: string, fallback: number) => (process.env[name] ? Number(process.env[name]) : fallback);
const REQUESTS = num('BENCH_HTTP_REQUESTS', 100_000);
const SECONDS = num('BENCH_HTTP_SECONDS', 10);
const CONNECTIONS = num('BENCH_HTTP_CONNECTIONS', 50);
const EVENTS = num('BENCH_HTTP_EVENTS', 200_000);
const POOL = Math.min(num('BENCH_HTTP_POOL', 300), REQUESTS);
const DEEP_REQUESTS = num('BENCH_HTTP_DEEP_REQUESTS', 500);
const DEEP_EVENTS = num('BENCH_HTTP_DEEP_EVENTS', 200);
const ALERTS = num('BENCH_HTTP_ALERTS', 200);
/** The case numbers the seeded requests name in turn (0: none, every request in triage numbering; Seeder). */
const CASES = num('BENCH_HTTP_CASES', 20_000);
const ALERT_GAP_MS = num('BENCH_HTTP_ALERT_GAP_MS', Math.max(5, Math.floor((SECONDS * 1000 - 2000) / Math.max(1, ALERTS))));
const WARMUP = num('BENCH_HTTP_WARMUP', 2);
const PACED_SHARE = num('BENCH_HTTP_PACED_SHARE', 0.5);
const PACED_RATE = process.env.BENCH_HTTP_PACED_RATE ? Number(process.env.BENCH_HTTP_PACED_RATE) : null;
const SETTLE_SECONDS = num('BENCH_HTTP_SETTLE_SECONDS', 1800);
const MAX_NON2XX = num('BENCH_HTTP_MAX_NON2XX', 0.01);
const LOG_LEVEL = process.env.BENCH_HTTP_LOG_LEVEL ?? 'warn';
/** ALERT_TRACE=1 in the api and the worker: the alert path's stages are timed (see alertStages). */
const TRACE_ALERTS = process.env.BENCH_HTTP_TRACE_ALERTS === '1';
const LOG_DIR = process.env.BENCH_HTTP_LOG_DIR ? resolve(process.env.BENCH_HTTP_LOG_DIR) : null;
const RESULTS_DIR = resolve(process.env.BENCH_HTTP_RESULTS ?? join(root, 'bench-results'));
const ALL_PHASES = ['raw', 'attempts', 'submissions', 'responses', 'get', 'queue', 'deep', 'dashboard', 'mixed', 'paced'];
const PHASES = new Set((process.env.BENCH_HTTP_PHASES ?? ALL_PHASES.join(',')).split(',').map((s) => s.trim()));
/** GET /api/requests/:id rotates over this many of the open requests. */
const GET_IDS = Math.min(REQUESTS, 10_000);
const PASSWORD = 'demo';

const dir = mkdtempSync(join(tmpdir(), 'http-bench-'));
const sqlitePath = join(dir, 'events.sqlite');
const now = () => performance.now();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const progress = (message: string) => process.stderr.write(`[bench:http ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
const n = (v: number) => v.toLocaleString('en-GB');

// --- processes ------------------------------------------------------------------------------------

interface Proc {
  name: string;
  child: ChildProcess;
  /** The last 1 MB of its stdout and stderr (the alert probe prints its result as one long line). */
  tail(): string;
  exited: Promise<void>;
  expectedExit: boolean;
}
const procs = new Set<Proc>();
const broken: string[] = [];

function spawnProc(name: string, args: string[], env: Record<string, string> = {}, stdin: 'ignore' | 'pipe' = 'ignore'): Proc {
  const child = spawn(process.execPath, args, { cwd: root, env: { ...process.env, ...env }, stdio: [stdin, 'pipe', 'pipe'] });
  let tail = '';
  // BENCH_HTTP_LOG_DIR: each app's whole output also in <dir>/<name>.log (e.g. with --trace-gc in its node flags).
  const log = LOG_DIR ? createWriteStream(join(LOG_DIR, `${name}.log`)) : null;
  const keep = (d: Buffer) => {
    tail = (tail + d.toString()).slice(-1_000_000);
    log?.write(d);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const proc: Proc = {
    name,
    child,
    tail: () => tail,
    exited: new Promise((res) => child.once('exit', () => res())),
    expectedExit: false,
  };
  procs.add(proc);
  child.once('exit', (code, signal) => {
    procs.delete(proc);
    if (!proc.expectedExit && !cleaning) {
      broken.push(`${name} exited unexpectedly (${signal ?? `exit ${code}`})`);
      progress(`${name} exited unexpectedly (${signal ?? `exit ${code}`}):\n${tail.slice(-3000)}`);
    }
  });
  return proc;
}

async function stopProc(proc: Proc, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  proc.expectedExit = true;
  if (proc.child.exitCode !== null || proc.child.signalCode !== null) return;
  proc.child.kill(signal);
  const timer = setTimeout(() => proc.child.kill('SIGKILL'), 15_000);
  await proc.exited;
  clearTimeout(timer);
}

async function waitFor<T>(
  what: string,
  ms: number,
  check: () => Promise<T | null | undefined | false> | T | null | undefined | false,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (broken.length) throw new Error(`${broken.join('; ')} while waiting for ${what}`);
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(100);
  }
}

/** CPU seconds a process has used so far (Linux /proc; null elsewhere). */
function cpuSeconds(pid: number | undefined): number | null {
  if (!pid) return null;
  try {
    return statCpuUs(`/proc/${pid}/stat`) / 1e6;
  } catch {
    return null;
  }
}

/**
 * Seconds a process's main thread (its event loop) has run so far, and has waited runnable for a
 * core (the scheduler's run queue), from /proc/<pid>/task/<pid>/schedstat; null elsewhere.
 */
function mainThreadSeconds(pid: number | undefined): { ran: number; waited: number } | null {
  if (!pid) return null;
  try {
    const [ran, waited] = readFileSync(`/proc/${pid}/task/${pid}/schedstat`, 'utf8').trim().split(/\s+/).map(Number);
    return { ran: ran / 1e9, waited: waited / 1e9 };
  } catch {
    return null;
  }
}

/** Cores the whole machine was busy (all but idle and iowait, from /proc/stat's cpu line), in USER_HZ ticks so far; null elsewhere. */
function machineBusyTicks(): number | null {
  try {
    const [, ...ticks] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).map(Number);
    // user nice system idle iowait irq softirq steal (guest time is already in user)
    return ticks.slice(0, 8).reduce((a, b) => a + b, 0) - ticks[3] - ticks[4];
  } catch {
    return null;
  }
}

/**
 * Where the machine's cores went while a phase's load ran: the machine as a whole and each process
 * of the run, in cores (1 = one core busy throughout), and for each process its main thread (its
 * event loop; the rest is V8's collector threads and the SQLite writer threads): the share of the
 * time it ran, and the share it was ready to run but waited for a core. A latency measured on two
 * cores shared by the api, the worker, Redis and the load generator reads differently when they
 * leave a core idle than when they fill both, and an api whose event loop waits for a core a third
 * of the time is slowed by the machine, not by its own loop.
 */
type CoresBusy = {
  machine: number;
  byProcess: Record<string, number>;
  mainThread: Record<string, { ran: number; waited: number }>;
};
function coresMeter(pids: Record<string, number | undefined>): () => CoresBusy | null {
  const started = now();
  const machine = machineBusyTicks();
  const entries = Object.entries(pids);
  const before = entries.map(([, pid]) => [cpuSeconds(pid), mainThreadSeconds(pid)] as const);
  return () => {
    const seconds = (now() - started) / 1000;
    const after = machineBusyTicks();
    if (machine === null || after === null || seconds <= 0) return null;
    const busy: CoresBusy = { machine: (after - machine) / 100 / seconds, byProcess: {}, mainThread: {} };
    entries.forEach(([k, pid], i) => {
      const [cpu, main] = before[i]!;
      const [cpuNow, mainNow] = [cpuSeconds(pid), mainThreadSeconds(pid)];
      if (cpu !== null && cpuNow !== null) busy.byProcess[k] = (cpuNow - cpu) / seconds;
      if (main && mainNow)
        busy.mainThread[k] = { ran: (mainNow.ran - main.ran) / seconds, waited: (mainNow.waited - main.waited) / seconds };
    });
    return busy;
  };
}
const coresText = (c: CoresBusy) =>
  `${c.machine.toFixed(2)} of ${cpus().length} (${Object.entries(c.byProcess)
    .map(([k, v]) => {
      const main = c.mainThread[k];
      return main
        ? `${k} ${v.toFixed(2)} (main thread ran ${main.ran.toFixed(2)}, waited for a core ${main.waited.toFixed(2)})`
        : `${k} ${v.toFixed(2)}`;
    })
    .join('; ')})`;
/** "; cores busy ..." for a figure's note, or nothing without /proc. */
const coresNote = (c: CoresBusy | null) => (c ? `; cores busy ${coresText(c)}` : '');

let appProcs: Proc[] = [];

/**
 * Between phases: autocannon stops at the deadline but the api still works through what was in
 * flight (and the worker through what it appended). Waits until both use < 20% of a core over half a
 * second (at most 120 s), so one phase's backlog is not measured in the next.
 */
async function drain(after: string): Promise<void> {
  const t = now();
  for (;;) {
    const before = appProcs.map((p) => cpuSeconds(p.child.pid));
    if (before.some((v) => v === null)) return void (await sleep(1000)); // no /proc: a fixed pause
    await sleep(500);
    const busy = appProcs.map((p, i) => ((cpuSeconds(p.child.pid) ?? 0) - before[i]!) / 0.5);
    if (busy.every((b) => b < 0.2)) break;
    if (now() - t > 120_000) {
      notes.push(`After ${after} the api/worker were still busy after 120 s; the next phase started anyway.`);
      break;
    }
  }
  const waited = (now() - t) / 1000;
  if (waited > 2) progress(`  (the api and worker were busy for ${waited.toFixed(1)} s after ${after})`);
  drains[after] = waited;
}
const drains: Record<string, number> = {};

/** A few requests one at a time, before the load: the call's cost without queueing. */
async function oneAtATime(path: string, token: string, count: number): Promise<ReturnType<typeof summary> & { status: number[] }> {
  const times: number[] = [];
  const status: number[] = [];
  for (let i = 0; i < count; i++) {
    const t = now();
    const res = await fetch(baseUrl + path, { headers: { authorization: `Bearer ${token}` } });
    await res.arrayBuffer();
    status.push(res.status);
    if (res.ok) times.push(now() - t);
  }
  return { ...summary(times), status };
}

// --- HTTP helpers ---------------------------------------------------------------------------------

let baseUrl = '';

async function login(email: string): Promise<{ token: string; id: string }> {
  const res = await fetch(`${baseUrl}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password: PASSWORD }),
  });
  const body = (await res.json()) as { token: string; user: { id: string } };
  if (res.status !== 200) throw new Error(`login ${email}: ${res.status} ${JSON.stringify(body)}`);
  return { token: body.token, id: body.user.id };
}

interface Call extends WorkloadCall {
  /** A fixed number of requests instead of BENCH_HTTP_SECONDS. */
  amount?: number;
  url?: string;
  /** The process answering `url` (its CPU time is measured); without `url`, the api. */
  serverPid?: number;
}

interface CallResult {
  name: string;
  phase: string;
  connections: number;
  seconds: number;
  requests: number;
  ok: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  statusCodes: Record<string, number>;
  /** 2xx answers per second over the phase. */
  rps: number;
  /** Latency of 2xx answers, ms (autocannon's per-response time, measured in this process). */
  latency: { p50: number; p90: number; p99: number; p999: number; max: number; mean: number };
  /**
   * CPU time the answering process (the api, or the raw server) used per answer, µs: what a call
   * costs, less swayed than req/s by other work on a shared machine (though a busy one still
   * inflates it: compare runs made in the same conditions). NaN without /proc, or when another load
   * ran at the same time (the warm-up, the mixed phase, overlapping calls): no one call's share is known.
   */
  cpuUsPerRequest: number;
  /**
   * CPU time the worker used per answer, from the phase's start until it had caught up with what the
   * phase appended (the drain): the projections, timers and notifications a command sets off. Only
   * for the command and read phases run alone (NaN otherwise).
   */
  workerCpuUsPerRequest: number;
}

/** Loads running now: a load that overlapped another cannot say what the api's CPU was spent on. */
const running = new Set<{ overlapped: boolean }>();

/** `until`: stop when it resolves instead of after `seconds` (then `seconds` is only a cap). */
function load(phase: string, call: Call, seconds = SECONDS, until?: Promise<unknown>): Promise<CallResult> {
  const connections = call.connections ?? CONNECTIONS;
  let i = 0;
  const headers: Record<string, string> = {};
  if (call.token) headers.authorization = `Bearer ${call.token}`;
  if (call.body !== undefined) headers['content-type'] = 'application/json';
  const latencies: number[] = [];
  // The mixed phase and the warm-up run several calls at once: no one call's share of the CPU is known.
  const together = phase === 'mixed' || phase === 'warm-up';
  const server = together ? undefined : call.url ? call.serverPid : appProcs[0]?.child.pid;
  const cpuBefore = cpuSeconds(server);
  const started = now();
  let lastAnswer = started;
  const self = { overlapped: running.size > 0 };
  for (const other of running) other.overlapped = true;
  running.add(self);
  return new Promise((resolveResult, reject) => {
    const instance = autocannon(
      {
        url: call.url ?? baseUrl,
        connections,
        ...(call.amount ? { amount: call.amount } : { duration: seconds }),
        timeout: 30,
        requests: [
          {
            method: call.method,
            path: call.path(0),
            headers,
            body: call.body === undefined ? undefined : JSON.stringify(call.body),
            setupRequest: (req) => ({ ...req, path: call.path(i++) }),
          },
        ],
      },
      (error, result) => {
        running.delete(self);
        if (error) return reject(error);
        const cpuAfter = cpuSeconds(server);
        const statusCodes = Object.fromEntries(Object.entries(result.statusCodeStats ?? {}).map(([code, v]) => [code, Number(v.count)]));
        const requests = Object.values(statusCodes).reduce((a, b) => a + b, 0);
        // autocannon ends an `amount` run on its next 1 s tick: time those to the last answer instead.
        const seconds = call.amount ? (lastAnswer - started) / 1000 : result.duration;
        resolveResult({
          name: call.name,
          phase,
          connections,
          seconds,
          requests,
          ok: latencies.length,
          non2xx: result.non2xx,
          errors: result.errors,
          timeouts: result.timeouts,
          statusCodes,
          rps: latencies.length / seconds,
          latency: latencyOf(latencies),
          cpuUsPerRequest:
            cpuBefore !== null && cpuAfter !== null && requests > 0 && !self.overlapped ? ((cpuAfter - cpuBefore) * 1e6) / requests : NaN,
          workerCpuUsPerRequest: NaN,
        });
      },
    );
    void until?.then(() => instance.stop());
    instance.on('response', (_client, statusCode, _bytes, responseTime) => {
      lastAnswer = now();
      if (statusCode >= 200 && statusCode < 300) latencies.push(responseTime);
    });
  });
}

/** A call's latency figures (ms) from its 2xx answers' latencies. */
function latencyOf(latencies: number[]): CallResult['latency'] {
  const s = summary(latencies);
  const mean = latencies.length ? latencies.reduce((a, b) => a + b, 0) / latencies.length : NaN;
  return { p50: s.p50, p90: percentileOf(latencies, 90), p99: s.p99, p999: s.p999, max: s.max, mean };
}

function percentileOf(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  return [...values].sort((a, b) => a - b)[Math.max(0, Math.ceil((p / 100) * values.length) - 1)];
}

// --- the run --------------------------------------------------------------------------------------

/** The issue's alternative to 5,000 attempts a second: this percentage of the raw Fastify POST rate of the same run. */
const ATTEMPTS_PERCENT_OF_RAW = 15;
/** The report's figure for that percentage; it and the attempts' req/s each meet the target the other way (Figure.target.or). */
const ATTEMPTS_SHARE = 'attempts: POST /api/requests/:id/attempts: share of the raw Fastify POST rate';
const EITHER_ATTEMPTS_TARGET = `attempts: (>= 5,000/s or >= ${ATTEMPTS_PERCENT_OF_RAW}% raw) at p99 < 50 ms`;
const results: CallResult[] = [];
const figures: Record<string, unknown> = {};
const notes: string[] = [];
let redisServer: Awaited<ReturnType<typeof startRedis>> | null = null;

function record(result: CallResult): CallResult {
  results.push(result);
  progress(
    `  ${result.phase} / ${result.name}: ${n(Math.round(result.rps))} req/s, p50 ${fmt(result.latency.p50)} ms, p99 ${fmt(result.latency.p99)} ms, ` +
      `${result.non2xx} non-2xx, ${result.errors} errors` +
      (Number.isNaN(result.cpuUsPerRequest) ? '' : `, server CPU ${n(Math.round(result.cpuUsPerRequest))} µs/request`),
  );
  return result;
}

async function main(): Promise<void> {
  const startedAt = new Date();
  const t0 = now();
  console.log(
    `HTTP benchmark: ${cpus().length} CPUs (${cpus()[0]?.model}), ${Math.round(totalmem() / 2 ** 30)} GB, Node ${process.version}, ` +
      `load average ${loadAverage()} at the start`,
  );
  console.log(
    `${n(REQUESTS)} open requests (${CASES > 0 ? `naming ${n(CASES)} cases in turn` : 'naming no case'}), ${SECONDS} s per phase, ${CONNECTIONS} connections, attempts/responses over ${POOL} requests, ` +
      `deep/shallow ${n(DEEP_REQUESTS)} x ${DEEP_EVENTS} vs 2 events, ${ALERTS} alert probes, store filled to ${n(EVENTS)} events\n`,
  );

  if (process.env.SKIP_BUILD !== '1') {
    progress('building dist/ (npm run build; SKIP_BUILD=1 skips it)...');
    const build = spawnSync('npm', ['run', 'build', '--silent'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
    if (build.status !== 0) throw new Error(`npm run build failed (exit ${build.status})`);
  }
  for (const app of ['api', 'worker']) {
    if (!existsSync(join(root, 'dist/apps', app, 'main.js'))) throw new Error(`dist/apps/${app}/main.js is missing: run \`npm run build\``);
  }

  // 1. Seed the store before the api starts.
  const seeded = await seed();

  // 2. Redis, api, worker.
  const binary = ensureRedisServer(progress);
  redisServer = await startRedis({ binary, port: await freePort(), dir: join(dir, 'redis'), persistent: false, log: progress });
  const redis = new Redis(redisServer.url, { maxRetriesPerRequest: 3 });
  const port = await freePort();
  baseUrl = `http://127.0.0.1:${port}`;
  const appEnv = {
    // Not 'production': production refuses DEMO, whose accounts the bench signs in with. 'test' logs
    // JSON lines as production does (pretty lines are for a developer's terminal).
    NODE_ENV: 'test',
    JWT_SECRET: randomBytes(24).toString('hex'),
    LOG_LEVEL,
    PORT: String(port),
    HOST: '127.0.0.1',
    SQLITE_PATH: sqlitePath,
    REDIS_URL: redisServer.url,
    DEMO: 'true',
    DEMO_DATA: 'false',
    DEMO_PASSWORD: PASSWORD,
    POLICY_FILE: '', // empty is unset: the built-in default policy
    // In-app alerts only: nothing leaves the machine whatever the caller's environment holds.
    SMTP_URL: '',
    NOTIFY_API_KEY: '',
    WEBHOOK_URL: '',
    EVENT_STORE: 'sqlite',
    ...(TRACE_ALERTS ? { ALERT_TRACE: '1' } : {}),
  };
  const tStart = now();
  // BENCH_HTTP_API_NODE_ARGS / BENCH_HTTP_WORKER_NODE_ARGS: node flags for one app, e.g.
  // `--cpu-prof --cpu-prof-dir=/tmp/prof` to see where its time goes.
  const nodeArgs = (name: string) => (process.env[name] ?? '').split(' ').filter(Boolean);
  const api = spawnProc('api', [...nodeArgs('BENCH_HTTP_API_NODE_ARGS'), join(root, 'dist/apps/api/main.js')], appEnv);
  const worker = spawnProc('worker', [...nodeArgs('BENCH_HTTP_WORKER_NODE_ARGS'), join(root, 'dist/apps/worker/main.js')], appEnv);
  await waitFor('the api to answer /health', 120_000, async () => {
    try {
      return (await fetch(`${baseUrl}/health`)).ok;
    } catch {
      return false;
    }
  });
  appProcs = [api, worker];
  progress(`api answering /health ${((now() - tStart) / 1000).toFixed(1)} s after start`);
  await settle(redis, tStart);

  const parent = await login(PARENT_EMAIL);
  const officer = await login(OFFICER_EMAIL);
  const manager = await login(TEAM_MANAGER_EMAIL);
  const serviceManager = await login(SERVICE_MANAGER_EMAIL);

  const pool = seeded.open.slice(0, POOL);
  const getIds = seeded.open.slice(0, GET_IDS);
  const calls = workloadCalls({ pool, getIds, parentToken: parent.token, officerToken: officer.token });

  if (WARMUP > 0) {
    progress(`warm-up: ${WARMUP} s of attempts and reads...`);
    const c = Math.max(1, Math.floor(CONNECTIONS / 5));
    await Promise.all([
      load('warm-up', calls.attempts(c), WARMUP),
      load('warm-up', calls.get(c), WARMUP),
      load('warm-up', calls.queue(1), WARMUP),
    ]);
    await drain('the warm-up');
  }

  // 3. Phases.
  let raw: RawBaseline | null = null;
  if (PHASES.has('raw')) raw = await guarded('raw', rawBaseline);
  const byPhase: Record<string, CallResult> = {};
  // The reads, one at a time: the latency one user sees, which the reads' targets are judged on (ADR 0021).
  const alone: Record<string, CallResult> = {};
  for (const phase of ['attempts', 'submissions', 'responses', 'get', 'queue'] as const) {
    if (!PHASES.has(phase)) continue;
    const result = await guarded(phase, async () => {
      if (phase === 'get' || phase === 'queue') {
        const call = calls[phase](1);
        progress(`${phase}: one at a time (1 connection) for ${SECONDS} s...`);
        alone[phase] = record(await load(phase, { ...call, name: `${call.name}, one at a time` }));
        await drain(`the ${phase} phase, one at a time`);
      }
      progress(`${phase}: ${CONNECTIONS} connections for ${SECONDS} s...`);
      const workerBefore = cpuSeconds(appProcs[1]?.child.pid);
      const loaded = record(await load(phase, calls[phase]()));
      await drain(`the ${phase} phase`);
      const workerAfter = cpuSeconds(appProcs[1]?.child.pid);
      if (workerBefore !== null && workerAfter !== null && loaded.requests > 0) {
        loaded.workerCpuUsPerRequest = ((workerAfter - workerBefore) * 1e6) / loaded.requests;
        progress(`  ${phase}: worker CPU ${n(Math.round(loaded.workerCpuUsPerRequest))} µs/request (to the end of its catch-up)`);
      }
      return loaded;
    });
    if (result) byPhase[phase] = result;
    else await drain(`the ${phase} phase`);
  }

  let deep: DeepFigures | null = null;
  if (PHASES.has('deep')) {
    // One attempt on each request, so every stream keeps its length: the first few one at a time
    // (the command's own cost), the rest with all the connections (its cost under load). Twice: the
    // first command on a stream the api has not seen (it reads the stream), then one more on each
    // (the api keeps recently used states: the family that calls again).
    const sequential = Math.min(100, Math.floor(DEEP_REQUESTS / 5));
    progress(
      `deep vs shallow: one attempt on each of ${n(DEEP_REQUESTS)} requests with ${seeded.shallowEvents} events, then with ${seeded.deepEvents} ` +
        `(${sequential} one at a time, ${n(DEEP_REQUESTS - sequential)} over ${CONNECTIONS} connections)...`,
    );
    const on = (ids: string[], events: number, connections: number): Call => ({
      name: `attempt on a ${events}-event request${connections === 1 ? ', one at a time' : ''}`,
      method: 'POST',
      path: (i) => `/api/requests/${ids[i % ids.length]}/attempts`,
      token: parent.token,
      body: { channel: 'phone' },
      amount: ids.length,
      // autocannon refuses more connections than requests (small BENCH_HTTP_DEEP_REQUESTS).
      connections: Math.min(connections, ids.length),
    });
    const run = async (ids: string[], events: number) => {
      const one = sequential > 0 ? record(await load('deep', on(ids.slice(0, sequential), events, 1))) : null;
      await drain('deep, one at a time');
      const loaded = record(await load('deep', on(ids.slice(sequential), events, CONNECTIONS)));
      await drain('deep, under load');
      return { one, loaded };
    };
    deep = await guarded('deep', async () => {
      const cold = { shallow: await run(seeded.shallow, seeded.shallowEvents), deep: await run(seeded.deep, seeded.deepEvents) };
      const kept = { shallow: await run(seeded.shallow, seeded.shallowEvents), deep: await run(seeded.deep, seeded.deepEvents) };
      return { cold, kept, shallowEvents: seeded.shallowEvents, deepEvents: seeded.deepEvents };
    });
  }

  let dashboard: { result: CallResult; events: number } | null = null;
  if (PHASES.has('dashboard')) {
    const events = Number(storeHead());
    progress(
      `dashboard: GET /api/dashboard/sla (live) over ${n(events)} events, 3 one at a time, then ${CONNECTIONS} connections for ${SECONDS} s...`,
    );
    dashboard = await guarded('dashboard', async () => {
      unloaded.dashboard = await oneAtATime('/api/dashboard/sla', serviceManager.token, 3);
      const result = record(
        await load('dashboard', {
          name: 'GET /api/dashboard/sla (live)',
          method: 'GET',
          path: () => '/api/dashboard/sla',
          token: serviceManager.token,
        }),
      );
      return { result, events };
    });
    await drain('the dashboard phase');
  }

  const tokens = { manager: manager.token, parent: parent.token };
  const probeSet = (i: number) => seeded.alertIds.slice(i * (ALERTS + 3), (i + 1) * (ALERTS + 3));
  let alerts: AlertFigures | null = null;
  let mixedRate: number | null = null;
  if (PHASES.has('mixed')) {
    const out = await guarded('mixed', () => mixed(calls, tokens, probeSet(0)));
    alerts = out?.alerts ?? null;
    mixedRate = out?.rps ?? null;
  }
  let paced: PacedFigures | null = null;
  if (PHASES.has('paced')) {
    await drain('the mixed phase');
    // A share of what the mixed phase reached in this run, unless a rate is given (or there was no mixed phase).
    const share = mixedRate !== null && PACED_RATE === null ? PACED_SHARE : null;
    const rate = Math.max(1, Math.round(share !== null ? mixedRate! * share : (PACED_RATE ?? 500)));
    const out = await guarded('paced', () => mixed(calls, tokens, probeSet(PHASES.has('mixed') ? 1 : 0), rate));
    if (out) paced = { rate, share, mixedRps: mixedRate, alerts: out.alerts, rps: out.rps };
  }

  // Every staff read must reach the access log under any of this load (ADR 0014): a read dropped is
  // a fault of the run, not a figure; a batch refused and written again is said.
  const accessLog = await accessLogCounts().catch((error: Error) => {
    notes.push(`The access log's counters could not be read from /metrics: ${error.message}`);
    return null;
  });
  if (accessLog && [accessLog.lost, accessLog.failures, accessLog.written].some(Number.isNaN))
    notes.push("The access log's counters were not all in /metrics: whether every staff read was written is not known.");
  else if (accessLog)
    progress(
      `access log: ${n(accessLog.written)} staff reads written, ${n(accessLog.lost)} lost, ${n(accessLog.failures)} batches refused`,
    );
  if (accessLog && accessLog.lost > 0)
    broken.push(`access log: ${n(accessLog.lost)} staff reads were never written (send_access_log_lost_entries_total)`);
  if (accessLog && accessLog.failures > 0)
    notes.push(`The access log's store refused ${n(accessLog.failures)} batches (written again: send_access_log_write_failures_total).`);
  const elapsed = (now() - t0) / 1000;
  await redis.quit().catch(() => redis.disconnect());
  if (api.child.exitCode !== null) broken.push('the api had stopped by the end');
  report({
    startedAt,
    elapsed,
    seeded: seeded.figures,
    raw: raw?.loaded ?? null,
    rawAlone: raw?.alone ?? null,
    byPhase,
    alone,
    deep,
    dashboard,
    alerts,
    paced,
  });
}

/** The api's access log counters, from /metrics (open without a token outside production). */
async function accessLogCounts(): Promise<{ lost: number; failures: number; written: number }> {
  const res = await fetch(`${baseUrl}/metrics`);
  if (!res.ok) throw new Error(`GET /metrics answered ${res.status}`);
  const text = await res.text();
  return {
    lost: metricValue(text, 'send_access_log_lost_entries_total'),
    failures: metricValue(text, 'send_access_log_write_failures_total'),
    written: metricValue(text, 'send_access_log_entries_total'),
  };
}

/** Runs a phase; a failure is recorded (the bench then exits non-zero) and the next phase runs. */
async function guarded<T>(phase: string, run: () => Promise<T>): Promise<T | null> {
  try {
    return await run();
  } catch (error) {
    broken.push(`${phase}: ${(error as Error).message}`);
    progress(`${phase} failed: ${(error as Error).stack ?? error}`);
    return null;
  }
}

// --- 1. seeding -----------------------------------------------------------------------------------

async function seed() {
  const store = new SqliteEventStore({ path: sqlitePath, synchronous: 'normal' });
  const seeder = new Seeder(store, new Date(), CASES);
  const t = now();
  let shown = now();
  const show = (what: string) => (done: number) => {
    if (now() - shown > 5000) {
      shown = now();
      progress(`  ${what}: ${n(done)} requests (${n(seeder.events)} events so far)`);
    }
  };
  progress(`seeding ${n(REQUESTS)} open requests...`);
  const open = await seeder.seed(REQUESTS, { kind: 'open' }, show('open'));
  // + the probe's sentinels (test/bench/http/alert-probe.ts), which prove its stream live first; a
  // set for each phase with a probe (mixed, paced).
  const probes = ['mixed', 'paced'].filter((p) => PHASES.has(p)).length;
  const alertIds = await seeder.seed(ALERTS > 0 ? (ALERTS + 3) * probes : 0, { kind: 'two-attempts' });
  const shallowStory = { kind: 'shallow', events: 2 } as const;
  const deepStory = { kind: 'deep', events: DEEP_EVENTS } as const;
  progress(
    `seeding ${n(DEEP_REQUESTS)} requests of ${seeder.eventsPer(deepStory)} events and as many of ${seeder.eventsPer(shallowStory)}...`,
  );
  const shallow = await seeder.seed(DEEP_REQUESTS, shallowStory);
  const deep = await seeder.seed(DEEP_REQUESTS, deepStory, show('deep'));
  const perResolved = seeder.eventsPer({ kind: 'resolved', weeksAgo: 0 });
  const filler = Math.max(0, Math.ceil((EVENTS - seeder.events) / perResolved));
  if (filler > 0) {
    progress(`seeding ${n(filler)} resolved requests over the past 8 weeks (history up to ${n(EVENTS)} events)...`);
    await seeder.seed(filler, (i) => ({ kind: 'resolved', weeksAgo: i % 8 }), show('history'));
  }
  const seconds = (now() - t) / 1000;
  await store.close();
  const figures = {
    requests: seeder.requests,
    events: seeder.events,
    seconds,
    eventsPerSecond: seeder.events / seconds,
    requestsPerSecond: seeder.requests / seconds,
    openRequests: REQUESTS + alertIds.length + 2 * DEEP_REQUESTS,
  };
  progress(`seeded ${n(seeder.requests)} requests, ${n(seeder.events)} events in ${seconds.toFixed(1)} s`);
  return { open, alertIds, shallow, deep, shallowEvents: seeder.eventsPer(shallowStory), deepEvents: seeder.eventsPer(deepStory), figures };
}

let headDb: Database.Database | null = null;
function storeHead(prefixes?: readonly string[]): bigint {
  headDb ??= new Database(sqlitePath, { readonly: true, fileMustExist: true });
  const where = prefixes ? ` WHERE ${prefixes.map(() => 'substr(stream_id, 1, ?) = ?').join(' OR ')}` : '';
  const params = prefixes ? prefixes.flatMap((p) => [p.length, p]) : [];
  const row = headDb.prepare(`SELECT max(position) AS head FROM events${where}`).get(...params) as { head: number | null };
  return BigInt(row.head ?? 0);
}

/** Waits until the worker's projections (and its timers process manager) have reached the store's head. */
async function settle(redis: Redis, since: number): Promise<void> {
  const checkpoint = async (name: string) => BigInt((await redis.get(keys.checkpoint(name))) ?? '0');
  const projected = storeHead(PROJECTED_STREAM_PREFIXES);
  progress(`waiting for checkpoint:${PROJECTIONS_NAME} to reach ${n(Number(projected))} (the store's head)...`);
  let shown = now();
  await waitFor(`checkpoint:${PROJECTIONS_NAME}`, SETTLE_SECONDS * 1000, async () => {
    const at = await checkpoint(PROJECTIONS_NAME);
    if (now() - shown > 10_000) {
      shown = now();
      progress(`  projected ${n(Number(at))}/${n(Number(projected))}`);
    }
    return at >= storeHead(PROJECTED_STREAM_PREFIXES);
  });
  const projectedSeconds = (now() - since) / 1000;
  figures.projectionCatchUp = {
    events: Number(projected),
    seconds: projectedSeconds,
    eventsPerSecond: Number(projected) / projectedSeconds,
  };
  progress(
    `projections at the head ${projectedSeconds.toFixed(1)} s after start (${n(Math.round(Number(projected) / projectedSeconds))} events/s)`,
  );

  // The timers process manager schedules a timer per open clock; measuring while it still does so
  // would measure that too.
  const requestHead = storeHead([REQUEST_STREAM_PREFIX]);
  try {
    await waitFor(
      'checkpoint:timers',
      Math.max(1000, SETTLE_SECONDS * 1000 - (now() - since)),
      async () => (await checkpoint('timers')) >= requestHead,
    );
    figures.timersCatchUpSeconds = (now() - since) / 1000;
    progress(`timers process manager at the head ${((now() - since) / 1000).toFixed(1)} s after start`);
  } catch (error) {
    if (broken.length) throw error;
    notes.push(`The timers process manager had not reached the head after ${SETTLE_SECONDS} s; figures include its catch-up.`);
  }
}

// --- 3. phases ------------------------------------------------------------------------------------

/** The bare Fastify server of the same run: a JSON POST with all the connections, and a GET one at a time. */
interface RawBaseline {
  loaded: CallResult;
  alone: CallResult;
}

async function rawBaseline(): Promise<RawBaseline> {
  progress(`raw Fastify baseline: JSON POST, ${CONNECTIONS} connections for ${SECONDS} s, then a GET one at a time (its own process)...`);
  const proc = spawnProc('raw-fastify', [join(__dirname, 'http/raw-fastify.js')]);
  const port = await waitFor('the raw Fastify server', 30_000, () => {
    const line = proc
      .tail()
      .split('\n')
      .find((l) => l.startsWith('{"port"'));
    return line ? (JSON.parse(line) as { port: number }).port : null;
  });
  const url = `http://127.0.0.1:${port}`;
  const call: Call = {
    name: 'raw Fastify POST /hello (baseline)',
    method: 'POST',
    path: () => '/hello',
    body: { channel: 'phone' },
    url,
    serverPid: proc.child.pid,
  };
  await load('raw', call, Math.min(2, SECONDS)); // its warm-up
  const loaded = record(await load('raw', call));
  // The floor of a one-at-a-time read: a round trip through autocannon, loopback and Fastify.
  const get: Call = { name: 'raw Fastify GET /hello, one at a time (baseline)', method: 'GET', path: () => '/hello', url, connections: 1 };
  const alone = record(await load('raw', get));
  await stopProc(proc);
  return { loaded, alone };
}

interface DeepRuns {
  shallow: { one: CallResult | null; loaded: CallResult };
  deep: { one: CallResult | null; loaded: CallResult };
}
interface DeepFigures {
  /** The first command on each stream in this api process (it reads the stream). */
  cold: DeepRuns;
  /** A further command on the same streams (the api kept their states). */
  kept: DeepRuns;
  shallowEvents: number;
  deepEvents: number;
}
const unloaded: Record<string, ReturnType<typeof summary> & { status: number[] }> = {};

interface AlertFigures {
  n: number;
  missing: number;
  failed: number;
  notEscalated: number;
  toAlert: ReturnType<typeof summary>;
  afterAnswer: ReturnType<typeof summary>;
  roundTrip: ReturnType<typeof summary>;
  streamEvents: number;
  seconds: number;
  /** With BENCH_HTTP_TRACE_ALERTS=1: each stage of the path, in ms, by name. */
  stages?: Record<string, ReturnType<typeof summary>>;
  /** The cores busy while the phase's load ran (null without /proc). */
  cores: CoresBusy | null;
}

/** The apps' alert traces (libs/notifications/src/alert-trace.ts): the first stamp of each stage, by request id. */
function alertTraces(): Map<string, Record<string, number>> {
  const byRequest = new Map<string, Record<string, number>>();
  for (const proc of appProcs) {
    for (const line of proc.tail().split('\n')) {
      if (!line.startsWith('{"alertTrace"')) continue;
      try {
        const t = JSON.parse(line) as { alertTrace: string; requestId: string; at: number; recordedAt?: number };
        const stamps = byRequest.get(t.requestId) ?? {};
        stamps[t.alertTrace] ??= t.at;
        if (t.recordedAt !== undefined) stamps.recorded ??= t.recordedAt;
        byRequest.set(t.requestId, stamps);
      } catch {
        /* a line cut by the tail */
      }
    }
  }
  return byRequest;
}

/**
 * The alert path split into its stages, from the probe's stamps and the apps' traces
 * (one machine, one clock). "published" is whichever process published first.
 */
function alertStages(
  samples: Array<{ requestId: string; writtenAt?: number; heardAt?: number | null }>,
): Record<string, ReturnType<typeof summary>> {
  const traces = alertTraces();
  const spans: Record<string, number[]> = {};
  const add = (name: string, from: number | undefined | null, to: number | undefined | null) => {
    if (from == null || to == null) return;
    (spans[name] ??= []).push(to - from);
  };
  for (const s of samples) {
    const t = traces.get(s.requestId);
    if (!t || s.heardAt == null) continue;
    const published = Math.min(t['api-published'] ?? Infinity, t['worker-published'] ?? Infinity);
    add('written -> appended (api: request, decide, commit)', s.writtenAt, t.appended);
    add('appended -> worker read (poll, worker event loop)', t.appended, t['worker-read']);
    add('  recorded_at (writer thread, ms) -> worker read', t.recorded, t['worker-read']);
    add('worker read -> worker publish answered', t['worker-read'], t['worker-published']);
    add('appended -> api publish answered', t.appended, t['api-published']);
    add('appended -> first publish answered', t.appended, Number.isFinite(published) ? published : null);
    add('appended -> api relays it (its own, or the PUBLISH)', t.appended, t.received);
    add('api relays it -> SSE write', t.received, t['sse-write']);
    add('SSE write -> probe heard it', t['sse-write'], s.heardAt);
    add('written -> heard (whole path)', s.writtenAt, s.heardAt);
  }
  return Object.fromEntries(Object.entries(spans).map(([k, v]) => [k, summary(v)]));
}

/**
 * The mixed phase: every call at once on its share of the connections, as fast as answers come,
 * while the probe times threshold attempts -> SSE. With `rate`, the paced phase: the same mix and
 * shares, `rate` requests a second in all arriving at random (each call its connections' share of it).
 */
async function mixed(
  calls: Record<WorkloadName, (connections?: number) => Call>,
  tokens: { manager: string; parent: string },
  alertIds: string[],
  rate?: number,
): Promise<{ alerts: AlertFigures | null; rps: number }> {
  const phase = rate === undefined ? 'mixed' : 'paced';
  const split = splitConnections(CONNECTIONS);
  const connections = Object.values(split).reduce((a, b) => a + b, 0);
  const shares = Object.entries(split)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  progress(
    rate === undefined
      ? `mixed: ${shares} connections for ${SECONDS} s, with ${alertIds.length} threshold attempts -> SSE, one every ${ALERT_GAP_MS} ms...`
      : `paced: ${n(rate)} req/s arriving at random for ${SECONDS} s, shared as the mixed phase's connections (${shares}), with ${alertIds.length} threshold attempts -> SSE, one every ${ALERT_GAP_MS} ms...`,
  );
  let probe: Proc | null = null;
  if (alertIds.length > 0) {
    const options = {
      baseUrl,
      managerToken: tokens.manager,
      requesterToken: tokens.parent,
      requestIds: alertIds,
      gapMs: ALERT_GAP_MS,
      timeoutMs: 15_000,
    };
    probe = spawnProc(
      'alert-probe',
      ['-r', join(root, 'libs/event-store/src/testing/register-ts.js'), join(__dirname, 'http/alert-probe.ts'), JSON.stringify(options)],
      {},
      'pipe',
    );
    await waitFor('the alert probe to connect', 60_000, () => probe!.tail().includes('"ready":true') || probe!.tail().includes('"error"'));
    if (probe.tail().includes('"error"')) throw new Error(`alert probe: ${probe.tail()}`);
  }
  let probeDone: Promise<void> = Promise.resolve();
  if (probe) {
    const p = probe;
    probeDone = (async () => {
      await sleep(1000);
      p.expectedExit = true;
      p.child.stdin!.write('go\n');
      await p.exited;
    })();
  }
  // The load runs BENCH_HTTP_SECONDS, or longer until the probe is done (at most 120 s more), so
  // every probe sample is taken under it.
  const stop = Promise.all([sleep(SECONDS * 1000), probeDone]);
  const names = Object.keys(split) as Array<keyof typeof split>;
  const cores = coresMeter({
    api: appProcs[0]?.child.pid,
    worker: appProcs[1]?.child.pid,
    Redis: redisServer?.child.pid,
    'load generator': process.pid, // (the probe has exited when the load ends: its share is small)
  });
  const mixedResults =
    rate === undefined
      ? await Promise.all(names.map((k) => load(phase, calls[k](split[k]), SECONDS + 120, stop)))
      : (
          await pacedLoad(
            baseUrl,
            names.map((k) => ({ ...calls[k](), rate: (rate * split[k]) / connections })),
            SECONDS,
            probeDone,
          )
        ).map((r) => pacedResult(phase, r));
  const busy = cores();
  mixedResults.forEach(record);
  const rps = mixedResults.reduce((sum, c) => sum + c.rps, 0);
  await probeDone;
  if (!probe) return { alerts: null, rps };
  const line = probe
    .tail()
    .split('\n')
    .find((l) => l.startsWith('{"samples"') || l.startsWith('{"error"'));
  if (!line) throw new Error(`the alert probe printed no result:\n${probe.tail().slice(-3000)}`);
  const out = JSON.parse(line) as ProbeResult;
  if (out.error) throw new Error(`alert probe: ${out.error}`);
  const ok = out.samples.filter((s) => s.status >= 200 && s.status < 300);
  const figuresOut: AlertFigures = {
    n: out.samples.length,
    failed: out.samples.length - ok.length,
    notEscalated: ok.filter((s) => !s.escalated).length,
    missing: ok.filter((s) => s.toAlert === null).length,
    toAlert: summary(ok.flatMap((s) => (s.toAlert === null ? [] : [s.toAlert]))),
    afterAnswer: summary(ok.flatMap((s) => (s.afterAnswer === null ? [] : [s.afterAnswer]))),
    roundTrip: summary(ok.flatMap((s) => (s.roundTrip === null ? [] : [s.roundTrip]))),
    streamEvents: out.events,
    seconds: out.seconds,
    ...(TRACE_ALERTS ? { stages: alertStages(ok) } : {}),
    cores: busy,
  };
  progress(
    `  ${phase}: ${n(Math.round(rps))} req/s in all; attempt -> SSE: p50 ${fmt(figuresOut.toAlert.p50)} ms, p99 ${fmt(figuresOut.toAlert.p99)} ms (n=${figuresOut.toAlert.n}, ${figuresOut.missing} missing, ${figuresOut.failed} failed)`,
  );
  if (mixedResults[0].seconds > SECONDS + 0.5)
    notes.push(
      `The ${phase} phase ran ${mixedResults[0].seconds.toFixed(1)} s, longer than BENCH_HTTP_SECONDS, until the alert probe was done (${out.seconds.toFixed(1)} s).`,
    );
  return { alerts: figuresOut, rps };
}

/** A paced call's figures in the shape of autocannon's (connections: the most requests it had waiting at once). */
function pacedResult(phase: string, r: PacedResult): CallResult {
  return {
    name: r.name,
    phase,
    connections: r.maxInFlight,
    seconds: r.seconds,
    requests: r.sent,
    ok: r.latencies.length,
    non2xx: r.non2xx,
    errors: r.errors,
    timeouts: 0,
    statusCodes: r.statusCodes,
    rps: r.latencies.length / r.seconds,
    latency: latencyOf(r.latencies),
    cpuUsPerRequest: NaN,
    workerCpuUsPerRequest: NaN,
  };
}

/** "N req/s arriving (x of the mixed phase's M), N answered a second": what the paced phase ran at. */
function pacedWhat(p: PacedFigures): string {
  const of = p.share === null || p.mixedRps === null ? '' : ` (${p.share} of the mixed phase's ${n(Math.round(p.mixedRps))})`;
  return `${n(p.rate)} req/s arriving${of}, ${n(Math.round(p.rps))} answered a second`;
}

/** The paced phase: its rate (and the share of the mixed phase's it is, when derived from it), and its probe's figures. */
interface PacedFigures {
  rate: number;
  /** The share of the mixed phase's rate it ran at (null: BENCH_HTTP_PACED_RATE, or no mixed phase). */
  share: number | null;
  /** The mixed phase's answers a second, all calls together. */
  mixedRps: number | null;
  /** Its own answers a second, all calls together. */
  rps: number;
  alerts: AlertFigures | null;
}

// --- 4. report ------------------------------------------------------------------------------------

const loadAverage = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
const fmt = (v: number) =>
  !Number.isFinite(v) ? 'n/a' : Math.abs(v) >= 100 ? Math.round(v).toLocaleString('en-GB') : v.toFixed(v >= 10 ? 1 : 2);

interface Target {
  target: string;
  result: string;
  /** > 1 means met. */
  ratio: number;
  /** null: a figure with no fixed target, printed for comparison. */
  met: boolean | null;
  note?: string;
}

function report(r: {
  startedAt: Date;
  elapsed: number;
  seeded: Record<string, number>;
  raw: CallResult | null;
  /** The raw server's GET, one at a time. */
  rawAlone: CallResult | null;
  byPhase: Record<string, CallResult>;
  /** The reads (get, queue) one at a time. */
  alone: Record<string, CallResult>;
  deep: DeepFigures | null;
  dashboard: { result: CallResult; events: number } | null;
  alerts: AlertFigures | null;
  paced: PacedFigures | null;
}): void {
  const s = r.seeded;
  console.log(
    `\nSeed: ${n(s.requests)} requests, ${n(s.events)} events in ${s.seconds.toFixed(1)} s: ${n(Math.round(s.eventsPerSecond))} events/s, ` +
      `${n(Math.round(s.requestsPerSecond))} requests/s (straight into SQLite through the decider, synchronous=normal, group commit)`,
  );
  const catchUp = figures.projectionCatchUp as { events: number; seconds: number; eventsPerSecond: number } | undefined;
  if (catchUp) {
    console.log(
      `Worker: projections at the head (${n(catchUp.events)} events) ${catchUp.seconds.toFixed(1)} s after api + worker started (${n(Math.round(catchUp.eventsPerSecond))} events/s)` +
        (figures.timersCatchUpSeconds
          ? `; timers process manager at the head after ${(figures.timersCatchUpSeconds as number).toFixed(1)} s`
          : ''),
    );
  }

  console.log(
    `\nCalls (latency of 2xx answers in ms, as autocannon saw them; req/s = 2xx answers per second; ` +
      `CPU µs/req = CPU time of the answering process, the api or the raw server, per answer; worker µs/req = the worker's, ` +
      `from the phase's start to the end of its catch-up; the paced phase: latency from when each request was due, conns = ` +
      `the most waiting at once):\n`,
  );
  const header = [
    'phase',
    'call',
    'conns',
    'req/s',
    'p50',
    'p99',
    'p99.9',
    'max',
    'CPU µs/req',
    'worker µs/req',
    '2xx',
    'non-2xx',
    'errors',
  ];
  const rows = results.map((c) => [
    c.phase,
    c.name,
    String(c.connections),
    n(Math.round(c.rps)),
    fmt(c.latency.p50),
    fmt(c.latency.p99),
    fmt(c.latency.p999),
    fmt(c.latency.max),
    Number.isNaN(c.cpuUsPerRequest) ? '-' : n(Math.round(c.cpuUsPerRequest)),
    Number.isNaN(c.workerCpuUsPerRequest) ? '-' : n(Math.round(c.workerCpuUsPerRequest)),
    n(c.ok),
    c.non2xx
      ? `${n(c.non2xx)} (${Object.entries(c.statusCodes)
          .filter(([code]) => !code.startsWith('2'))
          .map(([code, count]) => `${code}: ${count}`)
          .join(', ')})`
      : '0',
    String(c.errors + c.timeouts),
  ]);
  console.log(grid(header, rows, [2, 3, 4, 5, 6, 7, 8, 9, 11]));

  const targets: Target[] = [];
  const attempts = r.byPhase.attempts;
  if (attempts) {
    const absolute = attempts.rps / 5000;
    const p99ok = attempts.latency.p99 < 50;
    targets.push({
      target: 'attempts >= 5,000 req/s',
      result: `${n(Math.round(attempts.rps))} req/s`,
      ratio: absolute,
      met: absolute >= 1,
    });
    targets.push({
      target: 'attempts p99 < 50 ms (50 connections)',
      result: `${fmt(attempts.latency.p99)} ms`,
      ratio: 50 / attempts.latency.p99,
      met: p99ok,
    });
    if (r.raw) {
      const relative = (100 * attempts.rps) / (ATTEMPTS_PERCENT_OF_RAW * r.raw.rps);
      targets.push({
        target: `attempts >= ${ATTEMPTS_PERCENT_OF_RAW}% of raw Fastify POST`,
        result: `${((100 * attempts.rps) / r.raw.rps).toFixed(1)}% (raw ${n(Math.round(r.raw.rps))} req/s)`,
        ratio: relative,
        met: relative >= 1,
      });
    }
    const either = (absolute >= 1 || (r.raw ? 100 * attempts.rps >= ATTEMPTS_PERCENT_OF_RAW * r.raw.rps : false)) && p99ok;
    targets.push({ target: EITHER_ATTEMPTS_TARGET, result: either ? 'yes' : 'no', ratio: NaN, met: either });
  }
  // The reads' targets are judged one at a time (ADR 0021): with 50 connections a read's p99 is
  // bounded below by the queueing (Little's law: mean latency = connections / throughput) and by the
  // raw server's own p99 in the same run, which no call can beat. The loaded figures are shown beside.
  const readTarget = (phase: 'queue' | 'get', what: string, note: string) => {
    const one = r.alone[phase];
    const loaded = r.byPhase[phase];
    if (one)
      targets.push({
        target: `${what} p99 < 10 ms, one at a time`,
        result: `${fmt(one.latency.p99)} ms`,
        ratio: 10 / one.latency.p99,
        met: one.latency.p99 < 10,
        note: [
          note,
          `p50 ${fmt(one.latency.p50)} ms`,
          r.rawAlone ? `raw Fastify GET one at a time p99 ${fmt(r.rawAlone.latency.p99)} ms` : '',
        ]
          .filter(Boolean)
          .join('; '),
      });
    if (loaded)
      targets.push({
        target: `${what}, ${loaded.connections} connections`,
        result: `${n(Math.round(loaded.rps))} req/s, p99 ${fmt(loaded.latency.p99)} ms`,
        ratio: NaN,
        met: null,
        note:
          `Little's law: mean latency >= ${loaded.connections} / throughput = ${fmt((1000 * loaded.connections) / loaded.rps)} ms` +
          (r.raw && r.raw.connections === loaded.connections ? `; raw Fastify POST p99 ${fmt(r.raw.latency.p99)} ms` : ''),
      });
  };
  readTarget(
    'queue',
    'team queue first page at 100k open',
    `${n(r.seeded.openRequests)} open requests seeded${r.seeded.openRequests < 100_000 ? ' (fewer than the target states)' : ''}`,
  );
  readTarget('get', 'GET /api/requests/:id', '');
  if (r.dashboard) {
    const d = r.dashboard;
    targets.push({
      target: 'dashboard (live) p99 < 100 ms',
      result: `${fmt(d.result.latency.p99)} ms`,
      ratio: 100 / d.result.latency.p99,
      met: d.result.latency.p99 < 100,
      note:
        `over ${n(d.events)} events${d.events < 1_000_000 ? ' (the target is stated at 1M: BENCH_HTTP_EVENTS=1000000)' : ''}` +
        (unloaded.dashboard ? `; one at a time p50 ${fmt(unloaded.dashboard.p50)} ms` : ''),
    });
  }
  if (r.deep) {
    for (const [which, d] of [
      ['a further command (state kept)', r.deep.kept],
      ['first command on the stream', r.deep.cold],
    ] as const) {
      const one = (d.deep.one?.latency.p50 ?? NaN) / (d.shallow.one?.latency.p50 ?? NaN);
      const loaded = d.shallow.loaded.rps / d.deep.loaded.rps;
      targets.push({
        target: `${r.deep.deepEvents}-event vs ${r.deep.shallowEvents}-event: ${which}`,
        result: `x${fmt(one)} p50 alone, x${fmt(loaded)} under load`,
        ratio: NaN,
        met: null,
        note: 'cost ratios (latency one at a time; inverse throughput with all connections); the same cost is x1',
      });
    }
  }
  if (r.alerts) {
    const a = r.alerts;
    targets.push({
      target: 'attempt -> manager SSE p99 <= 50 ms (under mixed load)',
      result: `${fmt(a.toAlert.p99)} ms`,
      ratio: 50 / a.toAlert.p99,
      met: a.toAlert.p99 <= 50,
      note: `p50 ${fmt(a.toAlert.p50)} ms, n=${a.toAlert.n}${a.missing ? `, ${a.missing} never arrived` : ''}${coresNote(a.cores)}`,
    });
  }
  if (r.paced?.alerts) {
    const a = r.paced.alerts;
    targets.push({
      target: `attempt -> manager SSE p99, the mix paced at ${n(r.paced.rate)} req/s`,
      result: `${fmt(a.toAlert.p99)} ms`,
      ratio: NaN,
      met: null,
      note: `${pacedWhat(r.paced)}; p50 ${fmt(a.toAlert.p50)} ms, n=${a.toAlert.n}${a.missing ? `, ${a.missing} never arrived` : ''}; the target is judged under the saturating mix`,
    });
  }

  console.log('\nTargets (ratio > 1 is met):\n');
  console.log(
    grid(
      ['target', 'result', 'ratio', '', 'note'],
      targets.map((t) => [
        t.target,
        t.result,
        Number.isFinite(t.ratio) ? t.ratio.toFixed(2) : '',
        t.met === null ? '(info)' : t.met ? 'met' : 'NOT MET',
        t.note ?? '',
      ]),
      [2],
    ),
  );

  for (const [which, d] of r.deep
    ? ([
        ['the first on each stream', { ...r.deep.cold, shallowEvents: r.deep.shallowEvents, deepEvents: r.deep.deepEvents }],
        ['a further one, state kept', { ...r.deep.kept, shallowEvents: r.deep.shallowEvents, deepEvents: r.deep.deepEvents }],
      ] as const)
    : []) {
    const line = (c: CallResult | null) =>
      c
        ? `${n(Math.round(c.rps))} req/s, p50 ${fmt(c.latency.p50)} ms, p99 ${fmt(c.latency.p99)} ms, mean ${fmt(c.latency.mean)} ms (n=${c.ok})`
        : 'not run';
    const ratio = (a: number, b: number) => (Number.isFinite(a / b) ? `x${(a / b).toFixed(2)}` : 'n/a');
    console.log(
      `\nCommand cost by stream length, ${which} (POST attempts, one on each request so every stream keeps its length):\n` +
        `  ${d.shallowEvents} events, one at a time:   ${line(d.shallow.one)}\n` +
        `  ${d.deepEvents} events, one at a time: ${line(d.deep.one)}\n` +
        `  ${d.shallowEvents} events, ${CONNECTIONS} connections:  ${line(d.shallow.loaded)}\n` +
        `  ${d.deepEvents} events, ${CONNECTIONS} connections: ${line(d.deep.loaded)}\n` +
        `  ${d.deepEvents}-event / ${d.shallowEvents}-event: one at a time p50 ${ratio(d.deep.one?.latency.p50 ?? NaN, d.shallow.one?.latency.p50 ?? NaN)}; ` +
        `under load mean latency ${ratio(d.deep.loaded.latency.mean, d.shallow.loaded.latency.mean)}, throughput ${ratio(d.deep.loaded.rps, d.shallow.loaded.rps)}`,
    );
  }
  if (Object.keys(unloaded).length) {
    console.log(
      `\nOne at a time, before the load (ms): ${Object.entries(unloaded)
        .map(
          ([k, u]) =>
            `${k} p50 ${fmt(u.p50)}, max ${fmt(u.max)} (n=${u.n}${u.status.some((x) => x >= 300) ? `, statuses ${u.status.join(' ')}` : ''})`,
        )
        .join('; ')}`,
    );
  }
  for (const [a, during] of [
    [r.alerts, 'the mixed phase'],
    [r.paced?.alerts ?? null, `the paced phase (${r.paced ? pacedWhat(r.paced) : ''})`],
  ] as const) {
    if (!a) continue;
    console.log(
      `\nAlert path (probe in its own process, ${a.n} threshold attempts during ${during}, ${a.streamEvents} SSE events heard in all):\n` +
        `  attempt written -> manager's SSE alert: p50 ${fmt(a.toAlert.p50)} ms, p99 ${fmt(a.toAlert.p99)} ms, max ${fmt(a.toAlert.max)} ms\n` +
        `  attempt's 201 received -> SSE alert:    p50 ${fmt(a.afterAnswer.p50)} ms, p99 ${fmt(a.afterAnswer.p99)} ms\n` +
        `  the attempt's own round trip:           p50 ${fmt(a.roundTrip.p50)} ms, p99 ${fmt(a.roundTrip.p99)} ms\n` +
        `  ${a.failed} attempts failed, ${a.notEscalated} answered without an escalation, ${a.missing} alerts never arrived (15 s)` +
        (a.cores ? `\n  cores busy while the load ran: ${coresText(a.cores)}` : ''),
    );
    if (a.stages) {
      console.log('\n  Its stages (BENCH_HTTP_TRACE_ALERTS=1; ms, on the machine clock):');
      for (const [name, st] of Object.entries(a.stages))
        console.log(
          `    ${name.padEnd(54)} p50 ${fmt(st.p50).padStart(7)}  p99 ${fmt(st.p99).padStart(7)}  max ${fmt(st.max).padStart(7)}  (n=${st.n})`,
        );
    }
  }

  // What broke: non-2xx beyond the expected share, connection errors, lost alerts.
  for (const c of results) {
    if (c.phase === 'warm-up') continue;
    if (c.requests > 0 && c.non2xx / c.requests > MAX_NON2XX)
      broken.push(`${c.phase} / ${c.name}: ${c.non2xx} of ${c.requests} answers were not 2xx`);
    if (c.errors + c.timeouts > 0) broken.push(`${c.phase} / ${c.name}: ${c.errors} connection errors, ${c.timeouts} timeouts`);
    if (c.ok === 0 && c.requests === 0 && c.errors + c.timeouts === 0) {
      notes.push(
        `${c.phase} / ${c.name}: no answer came back within the ${c.seconds} s phase (each took longer under ${c.connections} connections); BENCH_HTTP_SECONDS lengthens it.`,
      );
    }
  }
  for (const [a, phase] of [
    [r.alerts, 'mixed'],
    [r.paced?.alerts ?? null, 'paced'],
  ] as const) {
    if (a && (a.failed + a.missing) / Math.max(1, a.n) > MAX_NON2XX)
      broken.push(`alert probe (${phase}): ${a.failed} attempts failed and ${a.missing} alerts never arrived of ${a.n}`);
  }
  if (notes.length) console.log(`\n${notes.map((x) => `- ${x}`).join('\n')}`);
  if (broken.length) console.log(`\nBROKEN:\n${broken.map((b) => `- ${b}`).join('\n')}`);
  console.log(
    `\n${r.elapsed.toFixed(0)} s in all; load average ${loadAverage()} at the end (anything near or above ${cpus().length} means other work shared the CPUs).`,
  );

  emitResults(r, targets);

  const git = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' });
  const out = {
    bench: 'http',
    startedAt: r.startedAt.toISOString(),
    commit: git.status === 0 ? git.stdout.trim() : null,
    machine: {
      cpus: cpus().length,
      model: cpus()[0]?.model,
      memoryGb: Math.round(totalmem() / 2 ** 30),
      node: process.version,
      loadAverageAtEnd: loadavg(),
    },
    options: {
      REQUESTS,
      SECONDS,
      CONNECTIONS,
      EVENTS,
      POOL,
      DEEP_REQUESTS,
      DEEP_EVENTS,
      ALERTS,
      ALERT_GAP_MS,
      PACED_SHARE,
      PACED_RATE,
      WARMUP,
      LOG_LEVEL,
      phases: [...PHASES],
    },
    seed: r.seeded,
    worker: figures,
    calls: results,
    deep: r.deep && {
      shallowEvents: r.deep.shallowEvents,
      deepEvents: r.deep.deepEvents,
      ...Object.fromEntries(
        (['cold', 'kept'] as const).map((k) => {
          const d = r.deep![k];
          return [
            k,
            {
              oneAtATimeP50Ratio: (d.deep.one?.latency.p50 ?? NaN) / (d.shallow.one?.latency.p50 ?? NaN),
              loadedMeanRatio: d.deep.loaded.latency.mean / d.shallow.loaded.latency.mean,
              loadedThroughputRatio: d.deep.loaded.rps / d.shallow.loaded.rps,
            },
          ];
        }),
      ),
    },
    unloaded,
    drains,
    dashboardEvents: r.dashboard?.events ?? null,
    alerts: r.alerts,
    paced: r.paced,
    targets,
    notes,
    broken,
  };
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = join(RESULTS_DIR, `http-${r.startedAt.toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, `${JSON.stringify(out, null, 2)}\n`);
  writeFileSync(join(RESULTS_DIR, 'http-latest.json'), `${JSON.stringify(out, null, 2)}\n`);
  console.log(`JSON summary: ${file} (and ${join(RESULTS_DIR, 'http-latest.json')})`);
}

/**
 * The figures for bench/results/latest.md (test/bench/results.ts): every call's req/s and p99 beside
 * the raw Fastify POST of the same run, with the targets this bench states.
 */
function emitResults(r: Parameters<typeof report>[0], targets: Target[]): void {
  emitOptions('http', {
    BENCH_HTTP_REQUESTS: REQUESTS,
    BENCH_HTTP_SECONDS: SECONDS,
    BENCH_HTTP_CONNECTIONS: CONNECTIONS,
    BENCH_HTTP_EVENTS: EVENTS,
    BENCH_HTTP_POOL: POOL,
    BENCH_HTTP_DEEP_REQUESTS: DEEP_REQUESTS,
    BENCH_HTTP_DEEP_EVENTS: DEEP_EVENTS,
    BENCH_HTTP_ALERTS: ALERTS,
    BENCH_HTTP_CASES: CASES,
    BENCH_HTTP_PHASES: [...PHASES].join(','),
  });
  const bench = 'http';
  const s = r.seeded;
  emitFigure({
    bench,
    section: 'setup',
    figure: 'seed straight into SQLite through the decider',
    value: s.eventsPerSecond,
    unit: 'events/s',
    higherIsBetter: true,
    note: `${n(s.events)} events, ${n(s.requests)} requests`,
  });
  const catchUp = figures.projectionCatchUp as { events: number; eventsPerSecond: number } | undefined;
  if (catchUp)
    emitFigure({
      bench,
      section: 'setup',
      figure: 'worker projections to the head at start',
      value: catchUp.eventsPerSecond,
      unit: 'events/s',
      higherIsBetter: true,
      note: `${n(catchUp.events)} events`,
    });
  const RAW_RPS = 'raw Fastify JSON POST: req/s';
  const RAW_P99 = 'raw Fastify JSON POST: p99';
  const RAW_ONE_RPS = 'raw Fastify GET, one at a time: req/s';
  const RAW_ONE_P99 = 'raw Fastify GET, one at a time: p99';
  const RAW_CPU = 'raw Fastify JSON POST: CPU per request';
  if (r.raw) {
    emitFigure({ bench, section: 'raw', figure: RAW_RPS, value: r.raw.rps, unit: 'req/s', higherIsBetter: true, isBaseline: true });
    emitFigure({ bench, section: 'raw', figure: RAW_P99, value: r.raw.latency.p99, unit: 'ms', higherIsBetter: false, isBaseline: true });
    if (!Number.isNaN(r.raw.cpuUsPerRequest))
      emitFigure({
        bench,
        section: 'raw',
        figure: RAW_CPU,
        value: r.raw.cpuUsPerRequest,
        unit: 'µs',
        higherIsBetter: false,
        isBaseline: true,
      });
  }
  if (r.rawAlone) {
    const a = r.rawAlone;
    emitFigure({ bench, section: 'raw', figure: RAW_ONE_RPS, value: a.rps, unit: 'req/s', higherIsBetter: true, isBaseline: true });
    emitFigure({ bench, section: 'raw', figure: RAW_ONE_P99, value: a.latency.p99, unit: 'ms', higherIsBetter: false, isBaseline: true });
  }
  // A call is set against the raw server run with as many connections: all of them, or one (a share
  // of the mixed phase has neither).
  const baselines = (c: CallResult, loaded: string, alone: string) =>
    r.raw && c.connections === r.raw.connections ? [loaded] : r.rawAlone && c.connections === 1 ? [alone] : undefined;
  // The reads are judged one at a time (ADR 0021); the commands and the dashboard with all the connections.
  const p99Targets: Record<string, number> = { attempts: 50, dashboard: 100 };
  const aloneP99Targets: Record<string, number> = { queue: 10, get: 10 };
  const seen = new Set<string>();
  for (const c of results) {
    if (c.phase === 'warm-up' || c.phase === 'raw') continue;
    // The deep phase runs each call twice: first on streams the api has not seen, then again on them.
    let label = `${c.phase}: ${c.name}`;
    if (seen.has(label)) label += c.phase === 'deep' ? ' (again, state kept)' : ' (again)';
    seen.add(label);
    const counts = `n=${n(c.ok)}${c.non2xx ? `, ${n(c.non2xx)} non-2xx` : ''}, ${c.connections} connection${c.connections === 1 ? '' : 's'}`;
    emitFigure({
      bench,
      section: c.phase,
      figure: `${label}: req/s`,
      value: c.rps,
      unit: 'req/s',
      higherIsBetter: true,
      baselines: baselines(c, RAW_RPS, RAW_ONE_RPS),
      target:
        c.phase === 'attempts'
          ? { value: 5000, text: `>= 5,000 req/s (or >= ${ATTEMPTS_PERCENT_OF_RAW}% of raw)`, or: ATTEMPTS_SHARE }
          : undefined,
      note: counts,
    });
    const p99Target =
      (c.connections === 1 ? aloneP99Targets[c.phase] : undefined) ?? (c.connections === CONNECTIONS ? p99Targets[c.phase] : undefined);
    emitFigure({
      bench,
      section: c.phase,
      figure: `${label}: p99`,
      value: c.latency.p99,
      unit: 'ms',
      higherIsBetter: false,
      baselines: baselines(c, RAW_P99, RAW_ONE_P99),
      target: p99Target ? { value: p99Target, text: `< ${p99Target} ms` } : undefined,
      note: `p50 ${fmt(c.latency.p50)} ms, p99.9 ${fmt(c.latency.p999)} ms`,
    });
    if (!Number.isNaN(c.cpuUsPerRequest))
      emitFigure({
        bench,
        section: c.phase,
        figure: `${label}: api CPU per request`,
        value: c.cpuUsPerRequest,
        unit: 'µs',
        higherIsBetter: false,
        baselines: r.raw && !Number.isNaN(r.raw.cpuUsPerRequest) ? [RAW_CPU] : undefined,
      });
    if (!Number.isNaN(c.workerCpuUsPerRequest))
      emitFigure({
        bench,
        section: c.phase,
        figure: `${label}: worker CPU per request`,
        value: c.workerCpuUsPerRequest,
        unit: 'µs',
        higherIsBetter: false,
        note: "the projections, timers and notifications it sets off, to the end of the worker's catch-up",
      });
  }
  // The issue's alternative to 5,000 req/s: 15% of the raw server's rate in the same run (the p99
  // under 50 ms is the p99 figure's own target), so the report's targets show both ways to meet it.
  const attemptsCall = r.byPhase.attempts;
  if (attemptsCall && r.raw)
    emitFigure({
      bench,
      section: 'attempts',
      figure: ATTEMPTS_SHARE,
      value: (attemptsCall.rps / r.raw.rps) * 100,
      unit: '%',
      higherIsBetter: true,
      target: {
        value: ATTEMPTS_PERCENT_OF_RAW,
        text: `>= ${ATTEMPTS_PERCENT_OF_RAW}% of raw (or >= 5,000 req/s)`,
        or: `attempts: ${attemptsCall.name}: req/s`,
      },
      note: `${n(Math.round(attemptsCall.rps))} against ${n(Math.round(r.raw.rps))} req/s`,
    });
  if (r.deep) {
    for (const [which, d] of [
      ['first command on the stream', r.deep.cold],
      ['a further command (state kept)', r.deep.kept],
    ] as const) {
      emitFigure({
        bench,
        section: 'deep',
        figure: `${r.deep.deepEvents}-event vs ${r.deep.shallowEvents}-event stream, ${which}: p50 one at a time`,
        value: (d.deep.one?.latency.p50 ?? NaN) / (d.shallow.one?.latency.p50 ?? NaN),
        unit: 'x',
        higherIsBetter: false,
        note: 'cost ratio; the same cost is x1',
      });
    }
  }
  if (r.alerts) {
    const a = r.alerts;
    emitFigure({
      bench,
      section: 'mixed',
      figure: "threshold attempt -> manager's SSE alert: p99 (under mixed load)",
      value: a.toAlert.p99,
      unit: 'ms',
      higherIsBetter: false,
      target: { value: 50, text: '<= 50 ms' },
      note: `p50 ${fmt(a.toAlert.p50)} ms, n=${a.toAlert.n}${a.missing ? `, ${a.missing} never arrived` : ''}${coresNote(a.cores)}`,
    });
  }
  if (r.paced?.alerts) {
    const a = r.paced.alerts;
    emitFigure({
      bench,
      section: 'paced',
      figure: "threshold attempt -> manager's SSE alert: p99 (the mix paced at a share of the mixed rate, an open loop)",
      value: a.toAlert.p99,
      unit: 'ms',
      higherIsBetter: false,
      note: `${pacedWhat(r.paced)}; p50 ${fmt(a.toAlert.p50)} ms, n=${a.toAlert.n}${coresNote(a.cores)}; information: the target is judged under the saturating mix`,
    });
  }
  const either = targets.find((t) => t.target === EITHER_ATTEMPTS_TARGET);
  if (either)
    emitNote(bench, `attempts: (>= 5,000/s or >= ${ATTEMPTS_PERCENT_OF_RAW}% of raw) at p99 < 50 ms: ${either.met ? 'met' : 'NOT met'}`);
  for (const note of notes) emitNote(bench, note);
  for (const b of broken) emitBroken(bench, b);
}

/** A plain text table; columns in `right` are right-aligned. */
function grid(header: string[], rows: string[][], right: number[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (right.includes(i) ? c.padStart(widths[i]) : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

// --- cleanup --------------------------------------------------------------------------------------

let cleaning = false;
async function cleanup(): Promise<void> {
  if (cleaning) return;
  cleaning = true;
  await Promise.all([...procs].map((p) => stopProc(p)));
  headDb?.close();
  await redisServer?.stop().catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
}
process.on('exit', () => {
  for (const p of procs) p.child.kill('SIGKILL');
  redisServer?.child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    progress(`${signal}: stopping the api, the worker and redis-server, removing ${dir}`);
    void cleanup().finally(() => process.exit(130));
  });
}

main().then(
  async () => {
    await cleanup();
    process.exit(broken.length ? 1 : 0);
  },
  async (error) => {
    console.error(error);
    await cleanup();
    process.exit(1);
  },
);
