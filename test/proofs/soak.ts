/**
 * Soak: the real system under moderate mixed load for a long time, to show that memory and latency
 * stay flat (no leak, no slow creep).
 *
 *   npm run soak                          (30 minutes; builds dist/ first unless SKIP_BUILD=1)
 *   SOAK_MINUTES=3 SOAK_SAMPLE_SECONDS=15 npm run soak      (a quick form that shows it works)
 *
 * As test/bench/http.bench.ts does: seeds SOAK_POOL open requests into a temporary SQLite file through
 * the real decider, starts the built api and worker (separate processes, DEMO=true, the default
 * policy, a redis-server of its own on a free port), waits for the projections to reach the store's
 * head, signs the demo users in, then drives one autocannon run at a fixed overall rate (SOAK_RATE
 * requests/s over SOAK_CONNECTIONS) for SOAK_MINUTES, mixing the bench's calls: attempts 30%, GET one
 * request 10%, submissions 20%, resolutions 20%, officer responses 10%, the team queue 10%. The open
 * set the calls pick from stays SOAK_POOL requests: submissions join it, the oldest is resolved
 * whenever it is above that size (a steady state, as a service in use is; see "The load" below).
 *
 * Every SOAK_PROBE_SECONDS it scrapes GET /metrics of the api and of the worker (METRICS_PORT):
 * resident set size (process_resident_memory_bytes) and V8 heap in use just after the last full
 * collection (send_heap_used_after_major_gc_bytes, libs/platform/src/metrics.ts: what is still live,
 * not garbage waiting). Every SOAK_SAMPLE_SECONDS (a minute by default) it closes a sample: per process
 * the median of each, and the p50/p99 latency of the 2xx answers in that window.
 *
 * The report fits a least-squares line to each series after the warm-up (SOAK_WARMUP_MINUTES,
 * default a fifth of the run, at most 5: caches fill, code is optimised) and calls it flat when the
 * line's change over the run is within twice the noise around it (test/proofs/trend.ts says why),
 * rising or falling beyond it. The soak holds when nothing rises. The report is written to
 * SOAK_REPORT (bench/results/soak-latest.md) and printed.
 *
 * To look inside a process while it runs: SOAK_API_NODE_ARGS / SOAK_WORKER_NODE_ARGS are passed to
 * that app's node before main.js (V8 flags such as `--trace-gc`, or `--inspect=127.0.0.1:9339`), and
 * with SOAK_APP_LOG_DIR set each app's stdout and stderr are also appended to <dir>/api.log and
 * <dir>/worker.log (otherwise only their last 100 KB are kept, shown if one dies). The apps as
 * deployed carry no node flags (docker/Dockerfile), so a judged run sets none.
 *
 * Exit: 0 nothing rises; 2 a series rises (or too few samples to say); 1 something broke (a process
 * died, non-2xx beyond SOAK_MAX_NON2XX of the answers, connection errors).
 */
import Database from 'better-sqlite3';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import Redis from 'ioredis';
import { SqliteEventStore } from '@send/event-store';
import { keys, PROJECTED_STREAM_PREFIXES, PROJECTIONS_NAME } from '@send/read-models';
import { OFFICER_EMAIL, PARENT_EMAIL, Seeder } from '../bench/http/seed';
import { machine } from '../bench/results';
import { flatness, median, percentile, type Flatness, type Point } from './trend';
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

interface AutocannonRequest {
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string;
  setupRequest?: (req: AutocannonRequest, context: object) => AutocannonRequest;
  onResponse?: (status: number, body: string, context: object) => void;
}
/** What a connection's call notes for its answer. */
interface SoakContext {
  submission?: boolean;
}
interface AutocannonInstance {
  on(event: 'response', listener: (client: unknown, statusCode: number, resBytes: number, responseTime: number) => void): void;
  on(event: 'reqError', listener: (error: Error) => void): void;
  stop(): void;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const autocannon = require('autocannon') as (
  options: { url: string; connections: number; duration: number; overallRate: number; timeout: number; requests: AutocannonRequest[] },
  done: (error: Error | null, result: { errors: number; timeouts: number; non2xx: number }) => void,
) => AutocannonInstance;

const root = resolve(__dirname, '../..');
const num = (name: string, fallback: number) => (process.env[name] ? Number(process.env[name]) : fallback);
const MINUTES = num('SOAK_MINUTES', 30);
const SAMPLE_SECONDS = num('SOAK_SAMPLE_SECONDS', 60);
const PROBE_SECONDS = Math.min(num('SOAK_PROBE_SECONDS', 5), SAMPLE_SECONDS);
const WARMUP_MINUTES = num('SOAK_WARMUP_MINUTES', Math.min(5, MINUTES / 5));
/**
 * Per-request memory that is bounded but fills: the api keeps the state of up to
 * COMMAND_CACHE_STREAMS requests (ADR 0003), both apps cache up to 10,000 data keys
 * (CachedDataKeyStore: one per new request's personal data; the seeded pool has none), and the
 * worker the state of 10,000 requests for their timers (TimerProcessManager). Each new request costs
 * a few KB in each until the bound, and the seeded requests, one event each, are lighter than the
 * ones the load has worked on. Memory rising while they fill is the caches doing their job, not a
 * leak, so the warm-up lasts at least until the load has submitted that many requests (and so
 * turned the seeded pool over): only then is "flat" the question. Submissions are a fifth of the
 * load so that this comes within the first third of the default run.
 *
 * The worker's alert dispatcher keeps the states of requests that raised an alert, a fifth or so
 * of them here: at the default bound (WORKER_KEPT_STATES, 10,000) it would fill only after some
 * 50,000 submissions, past the end of the run, and its filling would read as a climb of about
 * 450 bytes a submission (the 2026-12-01 23:14 report). The soak runs the worker with a bound of
 * SOAK_WORKER_KEPT_STATES (1,000), full within the warm-up; a leak still climbs past it.
 */
const CACHED_REQUESTS = Math.max(num('COMMAND_CACHE_STREAMS', 10_000), 10_000);
const WORKER_KEPT_STATES = num('SOAK_WORKER_KEPT_STATES', 1000);
const RATE = num('SOAK_RATE', 100);
const CONNECTIONS = num('SOAK_CONNECTIONS', 10);
const POOL = num('SOAK_POOL', 2000);
const MAX_NON2XX = num('SOAK_MAX_NON2XX', 0.01);
const LOG_LEVEL = process.env.SOAK_LOG_LEVEL ?? 'warn';
const REPORT = resolve(root, process.env.SOAK_REPORT ?? 'bench/results/soak-latest.md');
const PASSWORD = 'demo';

const dir = mkdtempSync(join(tmpdir(), 'soak-'));
const sqlitePath = join(dir, 'events.sqlite');
const now = () => performance.now();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const progress = (m: string) => process.stderr.write(`[soak ${new Date().toISOString().slice(11, 19)}] ${m}\n`);
const broken: string[] = [];

// --- processes ------------------------------------------------------------------------------------

interface Proc {
  name: string;
  child: ChildProcess;
  tail(): string;
  exited: Promise<void>;
  expectedExit: boolean;
}
const procs = new Set<Proc>();
let cleaning = false;

function spawnApp(name: 'api' | 'worker', env: Record<string, string>): Proc {
  const nodeArgs = (process.env[`SOAK_${name.toUpperCase()}_NODE_ARGS`] ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, join(root, 'dist/apps', name, 'main.js')], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let tail = '';
  const logFile = process.env.SOAK_APP_LOG_DIR ? join(process.env.SOAK_APP_LOG_DIR, `${name}.log`) : null;
  const keep = (d: Buffer) => {
    tail = (tail + d.toString()).slice(-100_000);
    if (logFile) appendFileSync(logFile, d);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const proc: Proc = { name, child, tail: () => tail, exited: new Promise((r) => child.once('exit', () => r())), expectedExit: false };
  procs.add(proc);
  child.once('exit', (code, signal) => {
    procs.delete(proc);
    if (!proc.expectedExit && !cleaning) {
      broken.push(`${name} exited unexpectedly (${signal ?? `exit ${code}`})`);
      progress(`${name} exited unexpectedly:\n${tail.slice(-3000)}`);
    }
  });
  return proc;
}

async function stopProc(proc: Proc): Promise<void> {
  proc.expectedExit = true;
  if (proc.child.exitCode !== null || proc.child.signalCode !== null) return;
  proc.child.kill('SIGTERM');
  const timer = setTimeout(() => proc.child.kill('SIGKILL'), 15_000);
  await proc.exited;
  clearTimeout(timer);
}

async function waitFor<T>(what: string, ms: number, check: () => Promise<T | null | false> | T | null | false): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (broken.length) throw new Error(`${broken.join('; ')} while waiting for ${what}`);
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(200);
  }
}

// --- metrics --------------------------------------------------------------------------------------

async function scrape(url: string): Promise<{ rss: number; heap: number; heapTotal: number; external: number } | null> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
    if (!res.ok) return null;
    const text = await res.text();
    // 0 until the process's first full collection: not a reading yet.
    const afterGc = metricValue(text, 'send_heap_used_after_major_gc_bytes');
    return {
      rss: metricValue(text, 'process_resident_memory_bytes') / 2 ** 20,
      heap: afterGc > 0 ? afterGc / 2 ** 20 : NaN,
      // Not judged, shown to tell RSS apart: the heap V8 holds from the system, and memory outside it (Buffers).
      heapTotal: metricValue(text, 'nodejs_heap_size_total_bytes') / 2 ** 20,
      external: metricValue(text, 'nodejs_external_memory_bytes') / 2 ** 20,
    };
  } catch {
    return null;
  }
}

// --- the run --------------------------------------------------------------------------------------

interface Sample {
  /** Minutes since the load started, at the window's end. */
  minute: number;
  requests: number;
  ok: number;
  non2xx: number;
  errors: number;
  p50: number;
  p99: number;
  apiRss: number;
  apiHeap: number;
  workerRss: number;
  workerHeap: number;
  /** Not judged: each process's heap held from the system, and its memory outside the heap. */
  apiHeapTotal: number;
  apiExternal: number;
  workerHeapTotal: number;
  workerExternal: number;
  /** Open requests the load works on, and how many it has resolved so far. */
  open: number;
  resolved: number;
  redisMb: number;
  events: number;
}

let redisServer: Awaited<ReturnType<typeof startRedis>> | null = null;
let headDb: Database.Database | null = null;

function storeHead(prefixes?: readonly string[]): number {
  headDb ??= new Database(sqlitePath, { readonly: true, fileMustExist: true });
  const where = prefixes ? ` WHERE ${prefixes.map(() => 'substr(stream_id, 1, ?) = ?').join(' OR ')}` : '';
  const params = prefixes ? prefixes.flatMap((p) => [p.length, p]) : [];
  return Number((headDb.prepare(`SELECT max(position) AS head FROM events${where}`).get(...params) as { head: number | null }).head ?? 0);
}

async function main(): Promise<number> {
  const startedAt = new Date();
  const host = machine();
  progress(
    `soak: ${MINUTES} min at ${RATE} req/s over ${CONNECTIONS} connections, samples every ${SAMPLE_SECONDS} s, warm-up ${WARMUP_MINUTES} min; ` +
      `${host.cpus} CPUs (${host.model}), Node ${host.node}, load average ${host.loadAverage.map((l) => l.toFixed(2)).join(' ')}`,
  );
  if (process.env.SKIP_BUILD !== '1') {
    progress('building dist/ (npm run build; SKIP_BUILD=1 skips it)...');
    const build = spawnSync('npm', ['run', 'build', '--silent'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
    if (build.status !== 0) throw new Error(`npm run build failed (exit ${build.status})`);
  }
  for (const app of ['api', 'worker']) {
    if (!existsSync(join(root, 'dist/apps', app, 'main.js'))) throw new Error(`dist/apps/${app}/main.js is missing: run \`npm run build\``);
  }

  // 1. The requests the attempts, responses and reads rotate over, before the api starts.
  const store = new SqliteEventStore({ path: sqlitePath, synchronous: 'normal' });
  const pool = await new Seeder(store).seed(POOL, { kind: 'open' });
  await store.close();
  progress(`seeded ${POOL} open requests`);

  // 2. Redis, api, worker.
  redisServer = await startRedis({
    binary: ensureRedisServer(progress),
    port: await freePort(),
    dir: join(dir, 'redis'),
    persistent: false,
    log: progress,
  });
  const redis = new Redis(redisServer.url, { maxRetriesPerRequest: 3 });
  const port = await freePort();
  const metricsPort = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const env = {
    NODE_ENV: 'test', // production refuses DEMO, whose accounts the load signs in with
    JWT_SECRET: randomBytes(24).toString('hex'),
    LOG_LEVEL,
    PORT: String(port),
    HOST: '127.0.0.1',
    METRICS_PORT: String(metricsPort),
    SQLITE_PATH: sqlitePath,
    REDIS_URL: redisServer.url,
    DEMO: 'true',
    DEMO_DATA: 'false',
    DEMO_PASSWORD: PASSWORD,
    POLICY_FILE: '',
    SMTP_URL: '',
    NOTIFY_API_KEY: '',
    WEBHOOK_URL: '',
    EVENT_STORE: 'sqlite',
    WORKER_KEPT_STATES: String(WORKER_KEPT_STATES),
  };
  spawnApp('api', env);
  spawnApp('worker', env);
  await waitFor('the api to answer /health', 120_000, async () => {
    try {
      return (await fetch(`${baseUrl}/health`)).ok;
    } catch {
      return false;
    }
  });
  await waitFor('the projections to reach the head', 300_000, async () => {
    const at = Number((await redis.get(keys.checkpoint(PROJECTIONS_NAME))) ?? '0');
    return at >= storeHead(PROJECTED_STREAM_PREFIXES);
  });
  await waitFor('the worker /metrics', 60_000, async () => (await scrape(`http://127.0.0.1:${metricsPort}/metrics`)) !== null);
  progress('api and worker up, projections at the head');

  const login = async (email: string) => {
    const res = await fetch(`${baseUrl}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password: PASSWORD }),
    });
    if (res.status !== 200) throw new Error(`login ${email}: ${res.status} ${await res.text()}`);
    return ((await res.json()) as { token: string }).token;
  };
  const parent = await login(PARENT_EMAIL);
  const officer = await login(OFFICER_EMAIL);

  // 3. The load: one autocannon run at a fixed rate; each request picks its call from a repeating
  //    deck of ten, and its request id from the open set.
  //
  //    Steady state, as a service in use is: the open set starts as the seeded pool, each submission
  //    joins it (its id read from the 201 answer), and the resolve card closes the oldest open request
  //    whenever the set is above SOAK_POOL, so requests are resolved at the rate they are submitted
  //    and the open set (queues, timers, dashboard rows, kept command states) stays about the pool's
  //    size. A request lives about SOAK_POOL / (SOAK_RATE / 5) seconds. Before this, nothing was ever
  //    closed and the open set grew by 10 a second: memory rose with live data, which is not a leak
  //    and hid whether there was one. Attempts, reads and responses pick from the set but never from
  //    its oldest OLDEST_SPARED (the next to be resolved), so none lands on a request as it closes.
  const open: string[] = [...pool];
  const OLDEST_SPARED = Math.min(100, Math.floor(POOL / 4));
  const pick = (i: number, k: number) => open[OLDEST_SPARED + ((i * k) % (open.length - OLDEST_SPARED))];
  let resolved = 0;
  const json = (token: string) => ({ authorization: `Bearer ${token}`, 'content-type': 'application/json' });
  const read = (i: number): AutocannonRequest => ({
    method: 'GET',
    path: `/api/requests/${pick(i, 104_729)}`,
    headers: { authorization: `Bearer ${parent}` },
  });
  type Call = (i: number, context: SoakContext) => AutocannonRequest;
  const deck: Call[] = [
    ...Array.from({ length: 3 }, (): Call => (i) => ({
      method: 'POST',
      path: `/api/requests/${pick(i, 7919)}/attempts`,
      headers: json(parent),
      body: JSON.stringify({ channel: 'phone' }),
    })),
    read,
    ...Array.from({ length: 2 }, (): Call => (_i, context) => {
      context.submission = true;
      return {
        method: 'POST',
        path: '/api/requests',
        headers: json(parent),
        body: JSON.stringify({
          category: 'transport',
          subject: 'Transport to school from September',
          message: 'Our transport application has had no reply for three weeks. Please call me back.',
          channel: 'portal',
        }),
      };
    }),
    // Closes the oldest open request (a request that had no officer reply is closed as withdrawn;
    // one that had a reply ignores the reason). While the set is not above the pool's size (a
    // submission's answer not yet back), a read instead.
    ...Array.from({ length: 2 }, (): Call => (i) => {
      if (open.length <= POOL) return read(i);
      resolved++;
      return {
        method: 'POST',
        path: `/api/requests/${open.shift()}/resolve`,
        headers: json(officer),
        body: JSON.stringify({ outcome: 'Transport agreed from September; letter sent.', withoutReply: { reason: 'withdrawn' } }),
      };
    }),
    (i) => ({
      method: 'POST',
      path: `/api/requests/${pick(i, 15_485_863)}/responses`,
      headers: json(officer),
      body: JSON.stringify({ channel: 'phone', summary: 'Called back and explained the next steps and the panel date.' }),
    }),
    () => ({ method: 'GET', path: '/api/queue/team?limit=100', headers: { authorization: `Bearer ${officer}` } }),
  ];
  let issued = 0;
  let window = { latencies: [] as number[], requests: 0, non2xx: 0, errors: 0 };
  let probes = {
    apiRss: [] as number[],
    apiHeap: [] as number[],
    apiHeapTotal: [] as number[],
    apiExternal: [] as number[],
    workerRss: [] as number[],
    workerHeap: [] as number[],
    workerHeapTotal: [] as number[],
    workerExternal: [] as number[],
  };
  const samples: Sample[] = [];
  const t0 = now();

  const probe = async () => {
    const [api, worker] = await Promise.all([scrape(`${baseUrl}/metrics`), scrape(`http://127.0.0.1:${metricsPort}/metrics`)]);
    if (api) {
      probes.apiRss.push(api.rss);
      probes.apiHeap.push(api.heap);
      probes.apiHeapTotal.push(api.heapTotal);
      probes.apiExternal.push(api.external);
    }
    if (worker) {
      probes.workerRss.push(worker.rss);
      probes.workerHeap.push(worker.heap);
      probes.workerHeapTotal.push(worker.heapTotal);
      probes.workerExternal.push(worker.external);
    }
  };
  const closeSample = async () => {
    const w = window;
    const p = probes;
    window = { latencies: [], requests: 0, non2xx: 0, errors: 0 };
    probes = {
      apiRss: [],
      apiHeap: [],
      apiHeapTotal: [],
      apiExternal: [],
      workerRss: [],
      workerHeap: [],
      workerHeapTotal: [],
      workerExternal: [],
    };
    const info = await redis.info('memory').catch(() => '');
    const sample: Sample = {
      minute: (now() - t0) / 60_000,
      requests: w.requests,
      ok: w.latencies.length,
      non2xx: w.non2xx,
      errors: w.errors,
      p50: percentile(w.latencies, 50),
      p99: percentile(w.latencies, 99),
      apiRss: median(p.apiRss),
      apiHeap: median(p.apiHeap.filter(Number.isFinite)),
      workerRss: median(p.workerRss),
      workerHeap: median(p.workerHeap.filter(Number.isFinite)),
      apiHeapTotal: median(p.apiHeapTotal),
      apiExternal: median(p.apiExternal),
      workerHeapTotal: median(p.workerHeapTotal),
      workerExternal: median(p.workerExternal),
      open: open.length,
      resolved,
      redisMb: Number(/used_memory:(\d+)/.exec(info)?.[1] ?? NaN) / 2 ** 20,
      events: storeHead(),
    };
    samples.push(sample);
    progress(
      `  ${sample.minute.toFixed(1)} min: ${Math.round(sample.requests / SAMPLE_SECONDS)} req/s, p50 ${fmt(sample.p50)} ms, p99 ${fmt(sample.p99)} ms, ` +
        `api RSS ${fmt(sample.apiRss)} MB heap ${fmt(sample.apiHeap)} MB held ${fmt(sample.apiHeapTotal)} MB, worker RSS ${fmt(sample.workerRss)} MB heap ${fmt(sample.workerHeap)} MB, ` +
        `redis ${fmt(sample.redisMb)} MB, ${sample.events.toLocaleString('en-GB')} events` +
        (sample.non2xx || sample.errors ? `, ${sample.non2xx} non-2xx, ${sample.errors} errors` : ''),
    );
  };
  // The sample at minute 0: what the processes held before the load.
  await probe();
  await closeSample();

  progress(`load: ${MINUTES} min...`);
  const done = new Promise<{ errors: number; timeouts: number; non2xx: number }>((resolveRun, reject) => {
    const instance = autocannon(
      {
        url: baseUrl,
        connections: CONNECTIONS,
        duration: MINUTES * 60,
        overallRate: RATE,
        timeout: 30,
        requests: [
          {
            method: 'GET',
            path: '/health',
            // autocannon keeps one context per connection, fresh for each request (one in flight).
            setupRequest: (req, context) => {
              const call = deck[issued % deck.length](issued++, context as SoakContext);
              return { ...req, ...call, headers: { ...req.headers, ...call.headers } };
            },
            onResponse: (status, body, context) => {
              if (!(context as SoakContext).submission || status !== 201) return;
              const id = (JSON.parse(body) as { id?: unknown }).id;
              if (typeof id === 'string') open.push(id);
            },
          },
        ],
      },
      (error, result) => (error ? reject(error) : resolveRun(result)),
    );
    instance.on('response', (_client, status, _bytes, ms) => {
      window.requests++;
      if (status >= 200 && status < 300) window.latencies.push(ms);
      else window.non2xx++;
    });
    instance.on('reqError', () => window.errors++);
    stopLoad = () => instance.stop();
  });
  let finished = false;
  void done.finally(() => (finished = true)).catch(() => undefined);
  let nextProbe = t0 + PROBE_SECONDS * 1000;
  let nextSample = t0 + SAMPLE_SECONDS * 1000;
  const end = t0 + MINUTES * 60_000;
  while (!finished && !broken.length) {
    await sleep(Math.max(0, Math.min(nextProbe, nextSample) - now()));
    if (now() >= nextProbe) {
      await probe();
      nextProbe += PROBE_SECONDS * 1000;
    }
    // The last window closes when the load ends (below), so a partial window is not judged.
    if (now() >= nextSample && nextSample <= end - 1000) {
      await closeSample();
      nextSample += SAMPLE_SECONDS * 1000;
    }
  }
  if (broken.length) stopLoad();
  const result = await done;
  if (now() - t0 > samples[samples.length - 1]!.minute * 60_000 + SAMPLE_SECONDS * 500) {
    await probe();
    await closeSample();
  }
  await redis.quit().catch(() => redis.disconnect());

  const total = samples.reduce((s, x) => s + x.requests, 0);
  const non2xx = samples.reduce((s, x) => s + x.non2xx, 0);
  if (total > 0 && non2xx / total > MAX_NON2XX) broken.push(`${non2xx} of ${total} answers were not 2xx`);
  if (result.errors + result.timeouts > 0) broken.push(`${result.errors} connection errors, ${result.timeouts} timeouts`);

  const verdicts = judge(samples);
  const markdown = report({ startedAt, host, samples, verdicts, total, non2xx, result });
  mkdirSync(dirname(REPORT), { recursive: true });
  writeFileSync(REPORT, markdown);
  console.log(markdown);
  progress(`report written to ${relative(root, REPORT)}`);
  if (broken.length) return 1;
  return verdicts.every((v) => v.flatness.trend === 'flat' || v.flatness.trend === 'falling') ? 0 : 2;
}
let stopLoad = () => undefined as void;

// --- the verdict and the report -------------------------------------------------------------------

interface Verdict {
  series: string;
  unit: string;
  flatness: Flatness;
}

const SERIES: Array<{ series: string; unit: string; of: (s: Sample) => number }> = [
  { series: 'api RSS (median in window)', unit: 'MB', of: (s) => s.apiRss },
  { series: 'api heap after full GC (median in window)', unit: 'MB', of: (s) => s.apiHeap },
  { series: 'worker RSS (median in window)', unit: 'MB', of: (s) => s.workerRss },
  { series: 'worker heap after full GC (median in window)', unit: 'MB', of: (s) => s.workerHeap },
  { series: 'p99 latency of 2xx answers', unit: 'ms', of: (s) => s.p99 },
];

/**
 * Where the warm-up ends: SOAK_WARMUP_MINUTES, or later, the first sample by which the load had
 * submitted CACHED_REQUESTS requests (the caches are full). Never full within the run: the warm-up
 * alone, and the report says the caches were still filling.
 */
function warmupEnd(samples: Sample[]): number {
  return Math.max(WARMUP_MINUTES, cachesFullAt(samples) ?? 0);
}
function cachesFullAt(samples: Sample[]): number | null {
  return samples.find((s) => s.open + s.resolved - POOL >= CACHED_REQUESTS)?.minute ?? null;
}

/** Each series after the warm-up (the minute-0 sample and any window ending within it are left out). */
function judge(samples: Sample[]): Verdict[] {
  const judged = samples.filter((s) => s.minute > warmupEnd(samples) + 1e-9);
  return SERIES.map(({ series, unit, of }) => {
    const points: Point[] = judged.map((s) => ({ x: s.minute, y: of(s) })).filter((p) => Number.isFinite(p.y));
    return { series, unit, flatness: flatness(points) };
  });
}

const fmt = (v: number) =>
  !Number.isFinite(v) ? 'n/a' : Math.abs(v) >= 100 ? Math.round(v).toLocaleString('en-GB') : v.toFixed(Math.abs(v) >= 10 ? 1 : 2);
const signed = (v: number) => (v >= 0 ? '+' : '') + fmt(v);

function report(r: {
  startedAt: Date;
  host: ReturnType<typeof machine>;
  samples: Sample[];
  verdicts: Verdict[];
  total: number;
  non2xx: number;
  result: { errors: number; timeouts: number };
}): string {
  const { host } = r;
  const undecided = r.verdicts.some((v) => v.flatness.flat === null);
  const memory = r.verdicts.filter((v) => v.unit === 'MB');
  const latency = r.verdicts.filter((v) => v.unit === 'ms');
  const word = (vs: Verdict[]) =>
    vs.some((v) => v.flatness.trend === 'rising')
      ? 'NOT flat (rising)'
      : vs.some((v) => v.flatness.trend === null)
        ? 'undecided (too few samples)'
        : vs.every((v) => v.flatness.trend === 'flat')
          ? 'flat'
          : 'flat or falling (nothing rises)';
  const seconds = MINUTES * 60;
  const achieved = r.total / seconds;
  const lines: string[] = [];
  lines.push(`# Soak report`);
  lines.push('');
  lines.push(
    `${r.startedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC, commit ${host.commit ?? 'unknown'}${host.dirty ? ' (with uncommitted changes)' : ''}; ` +
      `${host.cpus} CPUs (${host.model}), ${host.memoryGb} GB, Node ${host.node}. Load average at the start ${host.loadAverage.map((l) => l.toFixed(2)).join(' ')}, ` +
      `at the end ${machine()
        .loadAverage.map((l) => l.toFixed(2))
        .join(' ')} (near or above ${host.cpus} means other work shared the CPUs).`,
  );
  lines.push('');
  lines.push(
    `**Memory: ${word(memory)}. p99 latency: ${word(latency)}.**${broken.length ? ' **Something broke (below).**' : ''}` +
      (undecided ? ' Too few samples after the warm-up to judge some series: run longer or sample more often.' : ''),
  );
  lines.push('');
  lines.push(
    `The built api and worker (separate processes, SQLite, a Redis of their own, the default policy) under ${RATE} requests/s ` +
      `over ${CONNECTIONS} connections for ${MINUTES} minutes: attempts 30%, GET a request 10%, submissions 20%, resolutions 20%, ` +
      `officer responses 10%, the team queue 10%. Steady state: the open set starts as ${POOL} seeded open requests, submissions join it and ` +
      `the oldest is resolved whenever it is above ${POOL}, so it stays that size while the requests in it turn over ` +
      `(npm run soak: test/proofs/soak.ts). ${r.total.toLocaleString('en-GB')} answers, ` +
      `${r.non2xx} not 2xx, ${r.result.errors} connection errors, ${r.result.timeouts} timeouts.` +
      (achieved < 0.9 * RATE
        ? ` **The machine answered ${fmt(achieved)} requests/s, not the ${RATE} asked**: requests queued, so the latencies measure the queue ` +
          `as much as the system (other work on the CPUs, or a rate this machine cannot serve: SOAK_RATE lowers it).`
        : ''),
  );
  lines.push('');
  lines.push(
    `**Rule.** A least-squares line is fitted to each series over the samples after the warm-up, ${fmt(warmupEnd(r.samples))} minutes: ` +
      `SOAK_WARMUP_MINUTES (${fmt(WARMUP_MINUTES)}), or longer, until the load has submitted ${CACHED_REQUESTS.toLocaleString('en-GB')} requests ` +
      `(the api's kept command states, both apps' data-key caches and the worker's timer and alert states, WORKER_KEPT_STATES=${WORKER_KEPT_STATES}, are then full; they grow by a few KB a ` +
      `new request until their bound, which is filling, not leaking)` +
      (cachesFullAt(r.samples) === null
        ? ` **which it never did in this run: the caches were still filling, so the api's memory is expected to rise; run longer**`
        : ` (minute ${fmt(cachesFullAt(r.samples)!)})`) +
      `; ` +
      `a series is flat when the line's change over that span is within twice the noise around it ` +
      `(|slope x span| <= 2 x residual standard deviation), test/proofs/trend.ts; beyond it, rising or falling. The soak holds when ` +
      `nothing rises (memory a collection gave back is not a leak). Memory is sampled every ${PROBE_SECONDS} s from each ` +
      `process's /metrics; a sample (every ${SAMPLE_SECONDS} s) keeps the median RSS and the median heap in use just after the last full ` +
      `collection (send_heap_used_after_major_gc_bytes: what survived it, not garbage waiting), and the p50/p99 of the 2xx answers in its window.`,
  );
  lines.push('');
  lines.push('| series | mean | slope per hour | change over the span | bound (2 x noise) | samples | verdict |');
  lines.push('| --- | ---: | ---: | ---: | ---: | ---: | --- |');
  for (const v of r.verdicts) {
    const f = v.flatness;
    lines.push(
      `| ${v.series} | ${fmt(f.mean)} ${v.unit} | ${signed(f.slope * 60)} ${v.unit} | ${signed(f.change)} ${v.unit} over ${fmt(f.span)} min | ` +
        `${fmt(f.bound)} ${v.unit} | ${f.n} | ${f.trend === null ? 'too few samples' : f.trend === 'rising' ? '**RISING**' : f.trend} |`,
    );
  }
  lines.push('');
  lines.push('Samples (minute 0 is before the load; windows ending within the warm-up are shown but not judged):');
  lines.push('');
  lines.push(
    '| minute | req/s | p50 ms | p99 ms | api RSS MB | api heap MB | api heap held MB | api RSS outside it MB | api external MB | worker RSS MB | worker heap MB | worker heap held MB | worker RSS outside it MB | worker external MB | Redis MB | events | open | resolved | non-2xx | errors |',
  );
  lines.push(
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  );
  let previous = 0;
  for (const s of r.samples) {
    const seconds = (s.minute - previous) * 60;
    previous = s.minute;
    lines.push(
      `| ${s.minute.toFixed(SAMPLE_SECONDS < 60 ? 2 : 1)}${s.minute <= warmupEnd(r.samples) + 1e-9 ? ' (warm-up)' : ''} | ${seconds > 0 ? Math.round(s.requests / seconds) : 0} | ${fmt(s.p50)} | ${fmt(s.p99)} | ` +
        `${fmt(s.apiRss)} | ${fmt(s.apiHeap)} | ${fmt(s.apiHeapTotal)} | ${fmt(s.apiRss - s.apiHeapTotal)} | ${fmt(s.apiExternal)} | ` +
        `${fmt(s.workerRss)} | ${fmt(s.workerHeap)} | ${fmt(s.workerHeapTotal)} | ${fmt(s.workerRss - s.workerHeapTotal)} | ${fmt(s.workerExternal)} | ${fmt(s.redisMb)} | ${s.events.toLocaleString('en-GB')} | ${s.open.toLocaleString('en-GB')} | ${s.resolved.toLocaleString('en-GB')} | ${s.non2xx} | ${s.errors} |`,
    );
  }
  lines.push('');
  lines.push(
    "Each process's heap held (nodejs_heap_size_total_bytes, the main thread's), its RSS outside it (RSS less heap held: native memory, the SQLite writer thread and its V8 heap, code) and external memory (nodejs_external_memory_bytes) are shown to tell its RSS apart, not judged. " +
      'RSS swings with the heap held, which V8 lets grow to several times the live heap between full collections; the memory outside it holds, among the rest, the page caches of the SQLite connections ' +
      '(the api has five, the worker three), each bounded at SQLITE_CACHE_KIB (2 MiB, ADR 0018 2026-12-02) and full within minutes: a rise of that part past the warm-up is not a cache filling. ' +
      'Redis memory and the event count are not judged: they grow with the data (every submission and every resolved request stays in the store and the read models, as history), as they should.',
  );
  if (broken.length) {
    lines.push('');
    lines.push('**Broken:**');
    lines.push('');
    for (const b of broken) lines.push(`- ${b}`);
  }
  lines.push('');
  lines.push(
    `Options: SOAK_MINUTES=${MINUTES} SOAK_RATE=${RATE} SOAK_CONNECTIONS=${CONNECTIONS} SOAK_POOL=${POOL} SOAK_SAMPLE_SECONDS=${SAMPLE_SECONDS} ` +
      `SOAK_PROBE_SECONDS=${PROBE_SECONDS} SOAK_WARMUP_MINUTES=${fmt(WARMUP_MINUTES)} SOAK_WORKER_KEPT_STATES=${WORKER_KEPT_STATES}.`,
  );
  lines.push('');
  return lines.join('\n');
}

// --- cleanup --------------------------------------------------------------------------------------

async function cleanup(): Promise<void> {
  if (cleaning) return;
  cleaning = true;
  stopLoad();
  await Promise.all([...procs].map(stopProc));
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
  async (code) => {
    await cleanup();
    process.exit(code);
  },
  async (error) => {
    console.error(error);
    await cleanup();
    process.exit(1);
  },
);
