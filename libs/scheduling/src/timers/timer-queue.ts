import { Queue, type ConnectionOptions, type Job, type JobsOptions } from 'bullmq';
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
    const data: TimerJobData = { requestId: timer.command.requestId, key: timer.key, at: timer.at, command: timer.command };
    await this.queue.add(timer.command.type, data, {
      ...this.jobOptions,
      jobId,
      delay: Math.max(0, Date.parse(timer.at) - now.getTime()),
    });
    return 'added';
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
