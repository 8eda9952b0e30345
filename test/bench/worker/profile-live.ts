/**
 * The projections' live cost, alone: what the worker spends per event when a batch holds events of
 * as many different requests (the attempts phase of bench:http: batches of 20-40 attempts, each on
 * a request of its own), which catch-up never shows (there a request's events share one batch).
 *
 *   node -r ./libs/event-store/src/testing/register-ts.js test/bench/worker/profile-live.ts [out.cpuprofile]
 *
 * BENCH_LIVE_REQUESTS open requests (default 2000), then BENCH_LIVE_ROUNDS rounds (default 500) of
 * one attempt on each of BENCH_LIVE_BATCH different requests (default 40), appended, then handed
 * to the Projector as one batch (all appended first: only handleBatch is measured). Prints per event
 * this process's CPU (and by thread: the helper threads are V8's collector), redis-server's, and
 * the Redis commands sent, which do not drift with the machine as CPU time does. With a path,
 * writes a CPU profile of the rounds (BENCH_PROFILE=heap: a sampling allocation profile instead).
 */
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { contactRequestDecider, streamIdFor, type ContactRequestCommand } from '@send/domain';
import { DeciderCommandHandler, SqliteEventStore, type RecordedEvent } from '@send/event-store';
import { allProjections, keys, PROJECTIONS_NAME, ProjectionsRunner, Projector } from '@send/read-models';
import { defaultPolicy } from '@send/sla';
import { loadRequests, registerStaff } from './dataset';
import { describe, diff, redisSide, startProfile, throwawayRedis } from './profiling';

const REQUESTS = Number(process.env.BENCH_LIVE_REQUESTS ?? 2000);
const ROUNDS = Number(process.env.BENCH_LIVE_ROUNDS ?? 500);
const BATCH = Number(process.env.BENCH_LIVE_BATCH ?? 40);
const out = process.argv[2];

async function main(): Promise<void> {
  const { dir, redis, pid, stop } = await throwawayRedis('profile-live-');
  const store = new SqliteEventStore({ path: join(dir, 'e.sqlite'), synchronous: 'normal' });
  await registerStaff(store);
  const { ids } = await loadRequests(store, { requests: REQUESTS, kindOf: () => 'open-responded', now: new Date() });
  const runner = new ProjectionsRunner({ store, redis, logger: { error: console.error } });
  await runner.start();
  const head = store.readHead();
  while (BigInt((await redis.get(keys.checkpoint(PROJECTIONS_NAME))) ?? '0') < head) await new Promise((r) => setTimeout(r, 20));
  await runner.stop();

  const handler = new DeciderCommandHandler({ store, decider: contactRequestDecider, streamIdFor });
  const only = process.env.BENCH_LIVE_PROJECTIONS?.split(',');
  const projector = new Projector(
    PROJECTIONS_NAME,
    redis,
    allProjections().filter((p) => !only || only.includes(p.name)),
  );
  const attempts = new Map<string, number>();
  const batchOf = async (): Promise<RecordedEvent[]> => {
    const chosen = new Set<string>();
    while (chosen.size < Math.min(BATCH, ids.length)) chosen.add(ids[Math.floor(Math.random() * ids.length)]);
    const results = await Promise.all(
      [...chosen].map((requestId) => {
        const n = (attempts.get(requestId) ?? 0) + 1;
        attempts.set(requestId, n);
        const command: ContactRequestCommand = {
          type: 'RecordAttempt',
          requestId,
          attemptId: `${requestId}-live-a${n}`,
          channel: 'phone',
          source: 'portal',
          escalationId: `esc-${requestId}-live-a${n}`,
        };
        return handler.handle(
          requestId,
          command,
          { now: new Date(), policy: defaultPolicy },
          { metadata: { correlationId: `live-${requestId}-${n}`, actor: { id: 'bench-parent', role: 'parent' } } },
        );
      }),
    );
    return results.flatMap((r) => r.events as RecordedEvent[]).sort((a, b) => (a.position < b.position ? -1 : 1));
  };
  // Warm-up (JIT, the request records' first live writes), not measured.
  for (let r = 0; r < 50; r++) await projector.handleBatch(await batchOf());

  // Every round's batch appended first, so the profile and the CPU figures hold the projections only.
  const batches: RecordedEvent[][] = [];
  for (let r = 0; r < ROUNDS; r++) batches.push(await batchOf());
  const stopProfile = await startProfile(out, 200);
  const threads0 = threadCpu();
  const server0 = await redisSide(redis, pid);
  let events = 0;
  const c0 = process.cpuUsage();
  for (const batch of batches) {
    await projector.handleBatch(batch);
    events += batch.length;
  }
  const c = process.cpuUsage(c0);
  const cpu = c.user + c.system;
  const server = diff(server0, await redisSide(redis, pid));
  let calls = 0;
  for (const [name, c] of server.commands) if (name !== 'info') calls += c.calls;
  const threads = threadCpu();
  const byThread = [...threads]
    .map(([id, t]) => [t.name, ((t.seconds - (threads0.get(id)?.seconds ?? 0)) * 1e6) / events] as const)
    .filter(([, us]) => us >= 0.5)
    .sort((a, b) => b[1] - a[1])
    .map(([name, us]) => `${name} ${us.toFixed(1)}`)
    .join(', ');
  console.log(`this process by thread, µs/event: ${byThread}`);
  await stopProfile();
  console.log(`redis-server: ${describe(server, events)}`);
  console.log(
    `live projections: ${events} events in ${ROUNDS} batches of ${BATCH} requests (${REQUESTS} open): ` +
      `this process ${(cpu / events).toFixed(1)} µs/event, redis-server ${(server.cpuUs / events).toFixed(1)} µs/event, ${(calls / events).toFixed(2)} Redis commands/event (the figure to compare: CPU time here drifts 10-20% with the machine)${out ? ', under the profiler' : ''}`,
  );
  await store.close();
  await stop();
  rmSync(dir, { recursive: true, force: true });
}

/**
 * This process's threads' CPU seconds so far, by thread id (/proc, clock ticks of 10 ms): 'main',
 * and V8's helper threads (parallel scavenges, concurrent marking and sweeping, compiling), which
 * process.cpuUsage() counts with it.
 */
function threadCpu(): Map<string, { name: string; seconds: number }> {
  const out = new Map<string, { name: string; seconds: number }>();
  for (const id of readdirSync('/proc/self/task')) {
    const stat = readFileSync(`/proc/self/task/${id}/stat`, 'utf8');
    const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    out.set(id, { name: id === String(process.pid) ? 'main' : name, seconds: (Number(fields[11]) + Number(fields[12])) / 100 });
  }
  return out;
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
