import IORedis, { type Redis } from 'ioredis';
import { RedisCheckpointStore, type CheckpointStore, type EventStore } from '@send/event-store';
import type { Policy } from '@send/sla';
import { consoleLogger, type SchedulingLogger } from './timers/logger';
import { TimerProcessManager } from './timers/timer-process-manager';
import { TimerQueue } from './timers/timer-queue';
import { TimerReconciler } from './timers/timer-reconciler';
import { RECONCILE_JOB_NAME, TimerWorker } from './timers/timer-worker';

export interface SchedulingOptions {
  store: EventStore;
  /** A Redis URL; scheduling opens (and closes) its own connections, as BullMQ workers need `maxRetriesPerRequest: null`. */
  redisUrl: string;
  policy: Policy;
  clock: () => Date;
  /** BullMQ key prefix (default 'bull'). */
  prefix?: string;
  /**
   * Where the process manager's checkpoint lives. Default: Redis `checkpoint:timers` (beside the
   * projections' `checkpoint:<name>`), or `<prefix>:checkpoint:timers` when a prefix is given.
   */
  checkpoints?: CheckpointStore;
  logger?: SchedulingLogger;
  /** How often the reconciler runs, besides at start (default 5 minutes). */
  reconcileEveryMs?: number;
  /**
   * How often the process checks that Redis still holds the reconcile job scheduler (default: the
   * reconcile interval, at most 30 s). The check is an in-process timer, not a job: a Redis that
   * lost its data (FLUSHALL, a restart without persistence) lost the jobs and the scheduler too.
   */
  watchEveryMs?: number;
  /** Requests whose folded state the process manager keeps (default 10,000). */
  keptStates?: number;
  /** Timer jobs run at once per worker (default 4). */
  concurrency?: number;
  /** How long a job taken by a worker that died stays taken before another runs it (BullMQ lockDuration; default 30 s). */
  jobLockMs?: number;
  /** Backoff of timer job retries (default 1000 ms, doubling) and attempts (default 8). */
  backoffMs?: number;
  attempts?: number;
  /** Process manager backoff on failures. */
  retry?: { initialMs?: number; maxMs?: number };
}

export interface Scheduling {
  queue: TimerQueue;
  processManager: TimerProcessManager;
  worker: TimerWorker;
  reconciler: TimerReconciler;
  /** Registers the reconcile job scheduler, starts the worker and the process manager, runs one reconcile (unless the process manager starts from the beginning), starts the watch. */
  start(): Promise<void>;
  /**
   * One look at Redis: when the reconcile job scheduler is gone, Redis lost its data while this
   * process ran; the scheduler is re-created and a reconcile recreates every timer still wanted.
   * 'lost' then, 'present' otherwise. The watch calls it; public for tests and tools.
   */
  checkRedis(): Promise<'present' | 'lost'>;
  /** Stops the process manager (after its event in flight), closes the worker (after its jobs in flight), the queue and the connections. */
  stop(): Promise<void>;
}

/** Wires the timers: queue, process manager, worker and reconciler over one event store and one Redis. */
export function createScheduling(options: SchedulingOptions): Scheduling {
  const logger = options.logger ?? consoleLogger;
  const connection: Redis = new IORedis(options.redisUrl, { maxRetriesPerRequest: null });
  const checkpointRedis: Redis | null = options.checkpoints ? null : new IORedis(options.redisUrl, { maxRetriesPerRequest: 3 });
  const checkpoints =
    options.checkpoints ?? new RedisCheckpointStore(checkpointRedis!, { prefix: options.prefix ? `${options.prefix}:` : '' });
  const queue = new TimerQueue({ connection, prefix: options.prefix, attempts: options.attempts, backoffMs: options.backoffMs });
  const reconciler = new TimerReconciler({
    store: options.store,
    timers: queue,
    clock: options.clock,
    logger,
  });
  const processManager = new TimerProcessManager({
    store: options.store,
    timers: queue,
    checkpoints,
    clock: options.clock,
    logger,
    retry: options.retry,
    memory: options.keptStates,
  });
  const worker = new TimerWorker({
    store: options.store,
    connection,
    prefix: options.prefix,
    policy: options.policy,
    clock: options.clock,
    concurrency: options.concurrency,
    jobLockMs: options.jobLockMs,
    logger,
    reconcile: () => reconciler.reconcile(),
    autorun: false,
  });
  let running: Promise<void> | null = null;
  const every = options.reconcileEveryMs ?? 5 * 60_000;
  const watchEvery = options.watchEveryMs ?? Math.min(every, 30_000);
  let watch: NodeJS.Timeout | null = null;
  let checking: Promise<'present' | 'lost'> | null = null;

  const upsertScheduler = () =>
    // A new scheduler's first run is one interval out, not now (BullMQ's default): start() covers
    // "at start" itself, and a run now would race the process manager over the same timers.
    // (An existing scheduler keeps its next run; BullMQ ignores startDate then.)
    queue.queue.upsertJobScheduler(
      RECONCILE_JOB_NAME,
      { every, startDate: Date.now() + every },
      { name: RECONCILE_JOB_NAME, data: {}, opts: { removeOnComplete: true, removeOnFail: { count: 100 } } },
    );

  const check = async (): Promise<'present' | 'lost'> => {
    if (await queue.queue.getJobScheduler(RECONCILE_JOB_NAME)) return 'present';
    logger.warn?.('[timers] Redis lost the reconcile job scheduler (flushed, or restarted empty): re-creating it and reconciling');
    await upsertScheduler();
    await reconciler.reconcile();
    return 'lost';
  };
  // One check at a time; a check of a Redis that is down fails, is logged, and the next one retries.
  const checkRedis = () => (checking ??= check().finally(() => (checking = null)));

  return {
    queue,
    processManager,
    worker,
    reconciler,
    checkRedis,
    async start() {
      await upsertScheduler();
      watch = setInterval(
        () => void checkRedis().catch((error) => logger.error('[timers] Redis check failed; the next one retries', error)),
        watchEvery,
      );
      watch.unref();
      running = worker.run().catch((error) => logger.error('[timers] worker stopped', error));
      await processManager.start();
      // At start, before the first scheduled run: Redis may have come back empty (jobs lost, the
      // checkpoint kept). A process manager starting from the beginning ensures every timer itself,
      // so a reconcile then would only do the same work twice.
      if (processManager.runner.checkpoint === 'start') return;
      await reconciler
        .reconcile()
        .catch((error) => logger.error('[timers] reconcile at start failed; the scheduled run will retry', error));
    },
    async stop() {
      if (watch) clearInterval(watch);
      watch = null;
      await checking?.catch(() => undefined);
      await processManager.stop();
      await worker.close();
      await running;
      await queue.close();
      await connection.quit().catch(() => connection.disconnect());
      await checkpointRedis?.quit().catch(() => checkpointRedis.disconnect());
    },
  };
}
