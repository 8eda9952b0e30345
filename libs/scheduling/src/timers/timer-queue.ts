import { Queue, type ConnectionOptions, type Job, type JobsOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Timer } from '@send/domain';
import { jobIdForTimerKey } from './job-id';

export const TIMER_QUEUE_NAME = 'timers';

/** What a timer job carries: enough to issue its command and to tell an early firing from a stale one. */
export interface TimerJobData {
  requestId: string;
  key: string;
  /** ISO instant the timer is due. */
  at: string;
  command: Timer['command'];
}

/** The queue also carries the reconcile job (empty data), from a BullMQ job scheduler. */
export type TimerQueueJobData = TimerJobData | Record<string, never>;

export interface TimerQueueOptions {
  connection: ConnectionOptions;
  /** BullMQ key prefix (default 'bull'); tests use a unique one. */
  prefix?: string;
  /** Queue name (default 'timers'); with Redis Cluster use a hash tag, e.g. '{timers}'. */
  name?: string;
  /** Attempts per firing for infrastructure failures (default 8), with exponential backoff from `backoffMs` (default 1000). */
  attempts?: number;
  backoffMs?: number;
}

export type EnsureOutcome = 'added' | 'exists' | 'retried';

/** Timers per batch of ensureMany: one pipelined lookup and one addBulk each. */
export const ENSURE_CHUNK = 500;

/**
 * The timers queue: one BullMQ delayed job per timer key. `ensure` is idempotent (the job id is the
 * key), so the process manager and the reconciler call it as often as they like.
 */
export class TimerQueue {
  readonly queue: Queue<TimerQueueJobData>;
  private readonly jobOptions: JobsOptions;

  constructor(options: TimerQueueOptions) {
    this.queue = new Queue<TimerQueueJobData>(options.name ?? TIMER_QUEUE_NAME, { connection: options.connection, prefix: options.prefix });
    this.jobOptions = {
      // Completed jobs go, so a key could be scheduled again; failed ones stay visible (bull-board)
      // until 1000 newer failures push them out — the reconciler recreates any still wanted.
      removeOnComplete: true,
      removeOnFail: { count: 1000 },
      attempts: options.attempts ?? 8,
      backoff: { type: 'exponential', delay: options.backoffMs ?? 1000 },
    };
  }

  get name(): string {
    return this.queue.name;
  }

  /**
   * Makes sure a job exists for `timer`, due at `timer.at` (immediately when already past). An
   * existing job is left alone, except one that failed for good: it is retried, since the timer is
   * still wanted.
   */
  async ensure(timer: Timer, now: Date): Promise<EnsureOutcome> {
    const jobId = jobIdForTimerKey(timer.key);
    const existing = await this.queue.getJob(jobId);
    if (existing) {
      const state = await existing.getState();
      if (state === 'failed') {
        await existing.retry('failed', { resetAttemptsMade: true });
        return 'retried';
      }
      if (state !== 'completed' && state !== 'unknown') return 'exists';
      // A completed job kept by someone else's options, or a half-removed one: replace it.
      await existing.remove().catch(() => undefined);
    }
    await this.queue.add(timer.command.type, this.dataOf(timer), this.optionsFor(timer, now));
    return 'added';
  }

  /**
   * `ensure` for many timers, in chunks of ENSURE_CHUNK: one pipelined round trip tells which jobs
   * exist and are delayed (the usual case: left alone), one `addBulk` adds the missing ones. Jobs in
   * any other state (waiting, active, failed, completed, half-removed) take `ensure`'s path, one by
   * one. A job another process adds between the lookup and the add is harmless: the job id is the
   * key, and BullMQ adds nothing under an id it holds. Outcomes follow `timers`' order; a key given
   * twice is ensured once (the later copy reports 'exists').
   */
  async ensureMany(timers: readonly Timer[], now: Date): Promise<EnsureOutcome[]> {
    const outcomes: EnsureOutcome[] = [];
    for (let i = 0; i < timers.length; i += ENSURE_CHUNK) {
      outcomes.push(...(await this.ensureChunk(timers.slice(i, i + ENSURE_CHUNK), now)));
    }
    return outcomes;
  }

  private async ensureChunk(timers: readonly Timer[], now: Date): Promise<EnsureOutcome[]> {
    const outcomes: EnsureOutcome[] = new Array(timers.length);
    const first = new Map<string, number>(); // key -> index of its first copy
    timers.forEach((timer, i) => (first.has(timer.key) ? (outcomes[i] = 'exists') : first.set(timer.key, i)));
    const unique = [...first.values()];
    // bullmq types its client loosely; it is an ioredis client.
    const client = (await this.queue.client) as unknown as Redis;
    const lookup = client.pipeline();
    for (const i of unique) {
      const jobId = jobIdForTimerKey(timers[i].key);
      lookup.exists(this.queue.toKey(jobId));
      lookup.zscore(this.queue.keys.delayed, jobId);
    }
    const replies = (await lookup.exec()) ?? [];
    const missing: number[] = [];
    const unusual: number[] = [];
    unique.forEach((i, n) => {
      const [existsError, exists] = replies[2 * n] ?? [new Error('no reply')];
      const [delayedError, score] = replies[2 * n + 1] ?? [new Error('no reply')];
      if (existsError || delayedError) throw existsError ?? delayedError;
      if (exists === 0) missing.push(i);
      else if (score !== null) outcomes[i] = 'exists';
      else unusual.push(i);
    });
    if (missing.length > 0) {
      await this.queue.addBulk(
        missing.map((i) => ({ name: timers[i].command.type, data: this.dataOf(timers[i]), opts: this.optionsFor(timers[i], now) })),
      );
      for (const i of missing) outcomes[i] = 'added';
    }
    for (const i of unusual) outcomes[i] = await this.ensure(timers[i], now);
    return outcomes;
  }

  private dataOf(timer: Timer): TimerJobData {
    return { requestId: timer.command.requestId, key: timer.key, at: timer.at, command: timer.command };
  }

  private optionsFor(timer: Timer, now: Date): JobsOptions {
    return { ...this.jobOptions, jobId: jobIdForTimerKey(timer.key), delay: Math.max(0, Date.parse(timer.at) - now.getTime()) };
  }

  /** Removes a timer no longer wanted. Tidiness only: a stale timer that fires does nothing. False if none (or running). */
  async cancel(key: string): Promise<boolean> {
    const jobId = jobIdForTimerKey(key);
    try {
      return (await this.queue.remove(jobId)) === 1;
    } catch {
      return false; // locked by a worker right now: let it run, it will find nothing to do
    }
  }

  /** The job for a timer key, if Redis holds one. */
  async job(key: string): Promise<Job<TimerJobData> | undefined> {
    return (await this.queue.getJob(jobIdForTimerKey(key))) as Job<TimerJobData> | undefined;
  }

  async close(): Promise<void> {
    await this.queue.close();
  }
}
