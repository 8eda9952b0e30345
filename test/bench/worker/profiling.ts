/**
 * What the worker profiles (profile-catchup.ts, profile-live.ts) share: a throwaway redis-server,
 * a CPU or allocation profile of the part they time, and what redis-server itself spent meanwhile;
 * and, with worker.bench.ts, the main thread's CPU and the catch-up's raw baseline.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import Redis from 'ioredis';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { ensureRedisServer, startRedis, freePort } = require('../../../scripts/lib/redis.js');

/** A redis-server of its own in a new temp dir (also for the caller's files); stop it and remove `dir` at the end. */
export async function throwawayRedis(prefix: string): Promise<{ dir: string; redis: Redis; pid: number; stop: () => Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const server = await startRedis({
    binary: ensureRedisServer(() => undefined),
    port: await freePort(),
    dir: join(dir, 'redis'),
    persistent: false,
    log: () => undefined,
  });
  const redis = new Redis(server.url);
  return {
    dir,
    redis,
    pid: server.child.pid,
    stop: async () => {
      await redis.quit();
      await server.stop();
    },
  };
}

/**
 * Starts profiling this process when `out` is given: a CPU profile sampled every `intervalUs`, or
 * with BENCH_PROFILE=heap a sampling profile of every allocation (those the scavenges free too).
 * The function returned stops it and writes the profile to `out`.
 */
export async function startProfile(out: string | undefined, intervalUs: number): Promise<() => Promise<void>> {
  if (!out) return async () => undefined;
  const session = new Session();
  session.connect();
  const post = (method: string, params?: object) =>
    new Promise<{ profile?: unknown }>((res, rej) =>
      session.post(method, params, (e, r) => (e ? rej(e) : res(r as { profile?: unknown }))),
    );
  const heap = process.env.BENCH_PROFILE === 'heap';
  if (heap) {
    await post('HeapProfiler.enable');
    await post('HeapProfiler.startSampling', {
      samplingInterval: 4096,
      includeObjectsCollectedByMajorGC: true,
      includeObjectsCollectedByMinorGC: true,
    });
  } else {
    await post('Profiler.enable');
    await post('Profiler.setSamplingInterval', { interval: intervalUs });
    await post('Profiler.start');
  }
  return async () => {
    writeFileSync(out, JSON.stringify((await post(heap ? 'HeapProfiler.stopSampling' : 'Profiler.stop')).profile));
    session.disconnect();
  };
}

/**
 * This process's main thread's CPU so far, in µs (Linux: /proc/self/task/<pid>/stat, the main
 * thread's id being the process's). Unlike process.cpuUsage() it leaves out the GC's helper threads
 * and the SQLite writer: what bounds a catch-up is the one thread the projector runs on.
 */
export function mainThreadCpuUs(): number {
  return statCpuUs(`/proc/self/task/${process.pid}/stat`);
}

/** About the size of an rm:request JSON: the value each raw baseline event writes. */
export const RAW_RECORD = 'x'.repeat(1200);

/**
 * The catch-up's raw baseline (worker.bench.ts's RAW_PIPELINED): one MULTI (SET a record of
 * `requests`, SET the checkpoint) per event, 1,000 events to a pipeline. Its rate, and this
 * process's and its main thread's CPU an event.
 */
export async function rawPipelinedMulti(
  redis: Redis,
  events: number,
  requests: number,
): Promise<{ rate: number; cpuPerEvent: number; mainPerEvent: number }> {
  const t = performance.now();
  const cpu0 = process.cpuUsage();
  const main0 = mainThreadCpuUs();
  for (let i = 0; i < events; i += 1000) {
    const p = redis.pipeline();
    for (let j = i; j < Math.min(events, i + 1000); j++) {
      p.call('MULTI');
      p.set(`rm:bench:${j % requests}`, RAW_RECORD);
      p.set('checkpoint:bench', String(j));
      p.call('EXEC');
    }
    await p.exec();
  }
  const cpu = process.cpuUsage(cpu0);
  const rate = events / ((performance.now() - t) / 1000);
  return { rate, cpuPerEvent: (cpu.user + cpu.system) / events, mainPerEvent: (mainThreadCpuUs() - main0) / events };
}

/** The user and system CPU a /proc stat file gives (a process's or a thread's), in µs (Linux only: throws elsewhere). */
export function statCpuUs(path: string): number {
  const stat = readFileSync(path, 'utf8');
  // After the last ')': the command name before it may itself hold one.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10_000; // utime, stime (fields 14, 15), in 10 ms ticks
}

/** redis-server's CPU (from /proc, in µs) and INFO figures: what the server itself spends. */
export interface ServerSide {
  cpuUs: number;
  inputBytes: number;
  commands: Map<string, { calls: number; usec: number }>;
}
export async function redisSide(redis: Redis, pid: number): Promise<ServerSide> {
  const cpuUs = statCpuUs(`/proc/${pid}/stat`); // before the INFO calls below, as redis-server spends on them too
  const stats = await redis.info('stats');
  const commandstats = await redis.info('commandstats');
  const commands = new Map<string, { calls: number; usec: number }>();
  for (const m of commandstats.matchAll(/cmdstat_([^:]+):calls=(\d+),usec=(\d+)/g))
    commands.set(m[1], { calls: Number(m[2]), usec: Number(m[3]) });
  return { cpuUs, inputBytes: Number(/total_net_input_bytes:(\d+)/.exec(stats)![1]), commands };
}
export function diff(a: ServerSide, b: ServerSide): ServerSide {
  const commands = new Map<string, { calls: number; usec: number }>();
  for (const [name, c] of b.commands) {
    const before = a.commands.get(name) ?? { calls: 0, usec: 0 };
    if (c.calls > before.calls) commands.set(name, { calls: c.calls - before.calls, usec: c.usec - before.usec });
  }
  return { cpuUs: b.cpuUs - a.cpuUs, inputBytes: b.inputBytes - a.inputBytes, commands };
}
export function describe(side: ServerSide, events: number): string {
  const per = (n: number) => (n / events).toFixed(2);
  const commands = [...side.commands]
    .sort((a, b) => b[1].usec - a[1].usec)
    .map(([name, c]) => `${name} ${per(c.calls)}/event ${per(c.usec)} µs/event`)
    .join(', ');
  return `CPU ${per(side.cpuUs)} µs/event, ${per(side.inputBytes)} bytes in/event; ${commands}`;
}
