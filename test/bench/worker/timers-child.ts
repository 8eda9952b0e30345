/**
 * Child process of the worker benchmark (phase 4): the timer side of the worker alone, so its RSS
 * is measured clean. Run with `node --expose-gc -r precompiled-hook.js timers-child.ts <mode> [sqlite] [redisUrl] [prefix] [expected]`.
 *   mode 'baseline': load the same modules, open the same store and a Redis connection, report RSS.
 *   mode 'timers':   createScheduling (process manager + worker + reconciler) over the store, wait
 *                    until the queue holds `expected` delayed jobs and the process manager reached
 *                    the head, then report RSS (after GC) and the peak.
 * Prints one JSON line on stdout at the end; progress on stderr.
 */
import { performance } from 'node:perf_hooks';
import IORedis from 'ioredis';
import { SqliteEventStore } from '@send/event-store';
import { createScheduling } from '@send/scheduling';
import { defaultPolicy } from '@send/sla';

const [mode, sqlitePath, redisUrl, prefix = 'benchtimers', expectedArg = '0'] = process.argv.slice(2);
const expected = Number(expectedArg);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const mb = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;

async function settledRss(): Promise<{ rss: number; heapUsed: number }> {
  const gc = (globalThis as { gc?: () => void }).gc;
  for (let i = 0; i < 3; i++) {
    gc?.();
    await sleep(100);
  }
  const m = process.memoryUsage();
  return { rss: m.rss, heapUsed: m.heapUsed };
}

async function main(): Promise<void> {
  let peak = process.memoryUsage().rss;
  let peakHeap = 0;
  const sampler = setInterval(() => {
    const m = process.memoryUsage();
    peak = Math.max(peak, m.rss);
    peakHeap = Math.max(peakHeap, m.heapUsed);
  }, 100);
  const store = new SqliteEventStore({ path: sqlitePath });

  if (mode === 'baseline') {
    const redis = new IORedis(redisUrl, { maxRetriesPerRequest: null });
    await redis.ping();
    const settled = await settledRss();
    clearInterval(sampler);
    await redis.quit();
    await store.close();
    process.stdout.write(JSON.stringify({ mode, rssMb: mb(settled.rss), heapMb: mb(settled.heapUsed), peakMb: mb(Math.max(peak, settled.rss)) }) + '\n');
    return;
  }

  const head = store.readHead();
  const quiet = { log: () => undefined, warn: (m: string) => console.error(m), error: (m: string, e?: unknown) => console.error(m, e) };
  const scheduling = createScheduling({ store, redisUrl, policy: defaultPolicy, clock: () => new Date(), prefix, logger: quiet });
  const t0 = performance.now();
  // start() resolves once the process manager has subscribed (a process manager starting from the
  // beginning schedules every timer itself, so start() skips its reconcile pass then).
  const started = scheduling.start();
  let delayed = 0;
  let lastReport = 0;
  for (;;) {
    delayed = await scheduling.queue.queue.getDelayedCount();
    const checkpoint = scheduling.processManager.runner.checkpoint;
    const pmDone = checkpoint !== 'start' && checkpoint >= head;
    if (performance.now() - lastReport > 5000) {
      lastReport = performance.now();
      console.error(`  [timers child] ${delayed.toLocaleString('en-GB')} delayed jobs, process manager at ${String(checkpoint)}/${head}, rss ${mb(process.memoryUsage().rss)} MB`);
    }
    // +1: the reconcile job scheduler's next run is a delayed job too.
    if (delayed >= expected + 1 && pmDone) break;
    await sleep(200);
  }
  const scheduleSeconds = (performance.now() - t0) / 1000;
  await started;
  const reconcileSeconds = (performance.now() - t0) / 1000;
  delayed = await scheduling.queue.queue.getDelayedCount();
  const settled = await settledRss();
  clearInterval(sampler);
  const result = {
    mode,
    delayed,
    scheduleSeconds,
    reconcileSeconds,
    rssMb: mb(settled.rss),
    heapMb: mb(settled.heapUsed),
    peakMb: mb(Math.max(peak, settled.rss)),
    peakHeapMb: mb(peakHeap),
  };
  await scheduling.stop();
  await store.close();
  process.stdout.write(JSON.stringify(result) + '\n');
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
