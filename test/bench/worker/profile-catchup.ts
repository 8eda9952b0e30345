/**
 * CPU profile of the projection catch-up alone (the load and baselines are not in it):
 *   node -r ./libs/event-store/src/testing/register-ts.js test/bench/worker/profile-catchup.ts <out.cpuprofile>
 * BENCH_EVENTS (default 100000). Prints the catch-up rate; writes the profile for analysis. Before
 * it, without profiling, the raw baseline of worker.bench.ts (a pipelined MULTI/SET/SET/EXEC per
 * event) over as many events, in the same run: rates and this process's CPU per event, side by side.
 */
import { writeFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Session } from 'node:inspector';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import Redis from 'ioredis';
import { keys, PROJECTIONS_NAME, ProjectionsRunner } from '@send/read-models';
import { loadCatchUpHistory } from './dataset';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { ensureRedisServer, startRedis, freePort } = require('../../../scripts/lib/redis.js');

const EVENTS = Number(process.env.BENCH_EVENTS ?? 100_000);
const out = process.argv[2];

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'profile-catchup-'));
  const server = await startRedis({
    binary: ensureRedisServer(() => undefined),
    port: await freePort(),
    dir: join(dir, 'redis'),
    persistent: false,
    log: () => undefined,
  });
  const redis = new Redis(server.url);
  const { store } = await loadCatchUpHistory(join(dir, 'e.sqlite'), Math.ceil(EVENTS / 5));
  const head = store.readHead();
  const pid: number = server.child.pid;
  const raw = await measured(redis, pid, () => rawPipelined(redis, Number(head), Math.ceil(EVENTS / 5)));
  await redis.flushdb();
  const session = new Session();
  session.connect();
  const post = (m: string, p?: object) => new Promise<any>((res, rej) => session.post(m, p, (e, r) => (e ? rej(e) : res(r))));
  // BENCH_PROFILE=heap: a sampling profile of every allocation (those the scavenges free too) instead.
  const heap = process.env.BENCH_PROFILE === 'heap';
  if (out && heap) {
    await post('HeapProfiler.enable');
    await post('HeapProfiler.startSampling', {
      samplingInterval: 4096,
      includeObjectsCollectedByMajorGC: true,
      includeObjectsCollectedByMinorGC: true,
    });
  } else if (out) {
    await post('Profiler.enable');
    await post('Profiler.setSamplingInterval', { interval: 500 });
    await post('Profiler.start');
  }
  const runner = new ProjectionsRunner({ store, redis, logger: { error: console.error } });
  const t = performance.now();
  const cpu0 = process.cpuUsage();
  const server0 = await redisSide(redis, pid);
  await runner.start();
  while (BigInt((await redis.get(keys.checkpoint(PROJECTIONS_NAME))) ?? '0') < head) await new Promise((r) => setTimeout(r, 20));
  const s = (performance.now() - t) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const server1 = await redisSide(redis, pid);
  if (out) writeFileSync(out, JSON.stringify((await post(heap ? 'HeapProfiler.stopSampling' : 'Profiler.stop')).profile));
  const rate = Number(head) / s;
  const perEvent = (cpu.user + cpu.system) / Number(head);
  console.log(`raw pipelined MULTI: ${Math.round(raw.rate)} events/s, this process's CPU ${raw.cpuPerEvent.toFixed(1)} µs/event`);
  console.log(
    `catch-up: ${head} events in ${s.toFixed(2)} s = ${Math.round(rate)} events/s, this process's CPU ${perEvent.toFixed(1)} µs/event (user ${(cpu.user / Number(head)).toFixed(1)}) (steadier than the rate on a shared machine)`,
  );
  console.log(`redis-server, raw: ${describe(raw.server, Number(head))}`);
  console.log(`redis-server, catch-up: ${describe(diff(server0, server1), Number(head))}`);
  console.log(
    `ratio to raw: rate ${(rate / raw.rate).toFixed(2)}, CPU per event ${(raw.cpuPerEvent / perEvent).toFixed(2)}${out ? ' (the catch-up ran under the profiler)' : ''}`,
  );
  await runner.stop();
  await store.close();
  await redis.quit();
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
}
/** redis-server's CPU (from /proc, in µs) and INFO figures: what the server itself spends. */
interface ServerSide {
  cpuUs: number;
  inputBytes: number;
  commands: Map<string, { calls: number; usec: number }>;
}
async function redisSide(redis: Redis, pid: number): Promise<ServerSide> {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14, 15)
  const stats = await redis.info('stats');
  const commandstats = await redis.info('commandstats');
  const commands = new Map<string, { calls: number; usec: number }>();
  for (const m of commandstats.matchAll(/cmdstat_([^:]+):calls=(\d+),usec=(\d+)/g))
    commands.set(m[1], { calls: Number(m[2]), usec: Number(m[3]) });
  return { cpuUs: ticks * 10_000, inputBytes: Number(/total_net_input_bytes:(\d+)/.exec(stats)![1]), commands };
}
function diff(a: ServerSide, b: ServerSide): ServerSide {
  const commands = new Map<string, { calls: number; usec: number }>();
  for (const [name, c] of b.commands) {
    const before = a.commands.get(name) ?? { calls: 0, usec: 0 };
    if (c.calls > before.calls) commands.set(name, { calls: c.calls - before.calls, usec: c.usec - before.usec });
  }
  return { cpuUs: b.cpuUs - a.cpuUs, inputBytes: b.inputBytes - a.inputBytes, commands };
}
async function measured<T>(redis: Redis, pid: number, run: () => Promise<T>): Promise<T & { server: ServerSide }> {
  const before = await redisSide(redis, pid);
  const result = await run();
  return { ...result, server: diff(before, await redisSide(redis, pid)) };
}
function describe(side: ServerSide, events: number): string {
  const per = (n: number) => (n / events).toFixed(2);
  const commands = [...side.commands]
    .sort((a, b) => b[1].usec - a[1].usec)
    .map(([name, c]) => `${name} ${per(c.calls)}/event ${per(c.usec)} µs/event`)
    .join(', ');
  return `CPU ${per(side.cpuUs)} µs/event, ${per(side.inputBytes)} bytes in/event; ${commands}`;
}
/** worker.bench.ts's RAW_PIPELINED baseline: one MULTI (SET record, SET checkpoint) per event, 1,000 to a pipeline. */
async function rawPipelined(redis: Redis, events: number, requests: number): Promise<{ rate: number; cpuPerEvent: number }> {
  const record = 'x'.repeat(1200);
  const t = performance.now();
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < events; i += 1000) {
    const p = redis.pipeline();
    for (let j = i; j < Math.min(events, i + 1000); j++) {
      p.call('MULTI');
      p.set(`rm:bench:${j % requests}`, record);
      p.set('checkpoint:bench', String(j));
      p.call('EXEC');
    }
    await p.exec();
  }
  const cpu = process.cpuUsage(cpu0);
  const rate = events / ((performance.now() - t) / 1000);
  return { rate, cpuPerEvent: (cpu.user + cpu.system) / events };
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
