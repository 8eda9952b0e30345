/**
 * CPU profile of the projection catch-up alone (the load and baselines are not in it):
 *   node -r ./libs/event-store/src/testing/register-ts.js test/bench/worker/profile-catchup.ts <out.cpuprofile>
 * BENCH_EVENTS (default 100000). Prints the catch-up rate; writes the profile for analysis. Before
 * it, without profiling, the raw baseline of worker.bench.ts (a pipelined MULTI/SET/SET/EXEC per
 * event) over as many events, in the same run: rates and this process's CPU per event, side by side,
 * and the main thread's alone (steadier than the rates from run to run on a shared machine).
 * BENCH_SKIP_PROJECTIONS=timeline,queues leaves those projections out (what each costs: the request
 * view cannot be left out, every request projection follows the records it writes).
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import Redis from 'ioredis';
import { allProjections, keys, PROJECTIONS_NAME, ProjectionsRunner } from '@send/read-models';
import { loadCatchUpHistory } from './dataset';
import { describe, diff, mainThreadCpuUs, rawPipelinedMulti, redisSide, startProfile, throwawayRedis, type ServerSide } from './profiling';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 100_000);
const out = process.argv[2];
const SKIPPED = (process.env.BENCH_SKIP_PROJECTIONS ?? '').split(',').filter(Boolean);

async function main(): Promise<void> {
  const { dir, redis, pid, stop } = await throwawayRedis('profile-catchup-');
  const { store } = await loadCatchUpHistory(join(dir, 'e.sqlite'), Math.ceil(EVENTS / 5));
  const head = store.readHead();
  const raw = await measured(redis, pid, () => rawPipelinedMulti(redis, Number(head), Math.ceil(EVENTS / 5)));
  await redis.flushdb();
  const stopProfile = await startProfile(out, 500);
  const all = allProjections();
  const unknown = SKIPPED.filter((name) => !all.some((p) => p.name === name));
  if (unknown.length > 0) throw new Error(`BENCH_SKIP_PROJECTIONS: no projection named ${unknown.join(', ')}`);
  const projections = all.filter((p) => !SKIPPED.includes(p.name));
  const runner = new ProjectionsRunner({ store, redis, logger: { error: console.error }, projections });
  const t = performance.now();
  const cpu0 = process.cpuUsage();
  const main0 = mainThreadCpuUs();
  const loop0 = performance.eventLoopUtilization();
  const server0 = await redisSide(redis, pid);
  await runner.start();
  while (BigInt((await redis.get(keys.checkpoint(PROJECTIONS_NAME))) ?? '0') < head) await new Promise((r) => setTimeout(r, 20));
  const s = (performance.now() - t) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const mainPerEvent = (mainThreadCpuUs() - main0) / Number(head);
  const busy = performance.eventLoopUtilization(loop0).utilization;
  const server1 = await redisSide(redis, pid);
  await stopProfile();
  const rate = Number(head) / s;
  const perEvent = (cpu.user + cpu.system) / Number(head);
  console.log(
    `raw pipelined MULTI: ${Math.round(raw.rate)} events/s, this process's CPU ${raw.cpuPerEvent.toFixed(1)} µs/event, its main thread's ${raw.mainPerEvent.toFixed(1)}`,
  );
  console.log(
    `catch-up: ${head} events in ${s.toFixed(2)} s = ${Math.round(rate)} events/s, this process's CPU ${perEvent.toFixed(1)} µs/event (user ${(cpu.user / Number(head)).toFixed(1)}) (steadier than the rate on a shared machine), its main thread's ${mainPerEvent.toFixed(1)} (busy ${(busy * 100).toFixed(1)}% of the time)${SKIPPED.length ? `, without ${SKIPPED.join(', ')}` : ''}`,
  );
  console.log(`redis-server, raw: ${describe(raw.server, Number(head))}`);
  console.log(`redis-server, catch-up: ${describe(diff(server0, server1), Number(head))}`);
  console.log(
    `ratio to raw: rate ${(rate / raw.rate).toFixed(2)}, CPU per event ${(raw.cpuPerEvent / perEvent).toFixed(2)}, main thread's CPU per event ${(raw.mainPerEvent / mainPerEvent).toFixed(2)}${out ? ' (the catch-up ran under the profiler)' : ''}`,
  );
  await runner.stop();
  await store.close();
  await stop();
  rmSync(dir, { recursive: true, force: true });
}
async function measured<T>(redis: Redis, pid: number, run: () => Promise<T>): Promise<T & { server: ServerSide }> {
  const before = await redisSide(redis, pid);
  const result = await run();
  return { ...result, server: diff(before, await redisSide(redis, pid)) };
}
main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
