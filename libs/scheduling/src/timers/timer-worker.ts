import { DelayedError, Worker, type ConnectionOptions, type Job } from 'bullmq';
import {
  contactRequestDecider,
  DomainError,
  nextTimers,
  streamIdFor,
  type ContactRequestCommand,
  type ContactRequestEvent,
  type State,
} from '@send/domain';
import { DeciderCommandHandler, eventIdsFor, faultSeam, type EventStore } from '@send/event-store';
import type { Policy } from '@send/sla';
import { consoleLogger, type SchedulingLogger } from './logger';
import { closeWorker } from '../bullmq/close-worker';
import { TIMER_QUEUE_NAME, type TimerJobData, type TimerQueueJobData } from './timer-queue';

export const TIMER_ACTOR = { id: 'system:timers', role: 'system' } as const;

/** Name of the periodic reconcile job on the timers queue (a BullMQ job scheduler). */
export const RECONCILE_JOB_NAME = 'reconcile';

export interface TimerWorkerOptions {
  store: EventStore;
  connection: ConnectionOptions;
  policy: Policy;
  clock: () => Date;
  prefix?: string;
  name?: string;
  /** Jobs run at once (default 4). Jobs of one request may run together: handleCommand's optimistic concurrency orders them. */
  concurrency?: number;
  /** A job of a worker that died is run again by another after about this (BullMQ lockDuration and stalledInterval; default 30 s). */
  jobLockMs?: number;
  logger?: SchedulingLogger;
  /** Runs the periodic reconcile job (createScheduling wires TimerReconciler.reconcile). */
  reconcile?: () => Promise<unknown>;
  /** Leave the worker stopped until run() (default true: it starts consuming at once). */
  autorun?: boolean;
}

/** BullMQ's lock and stalled-job check at one interval: a dead worker's job is taken back within about twice it. */
const jobLock = (ms: number | undefined) => (ms === undefined ? {} : { lockDuration: ms, stalledInterval: ms });

export type TimerJobOutcome =
  | { outcome: 'appended'; eventTypes: string[] }
  | { outcome: 'nothing' }
  | { outcome: 'early'; retryAt: string }
  | { outcome: 'refused'; code: string };

/**
 * Fires timers: issues the job's command (CheckDeadline / AdvanceEscalation) through handleCommand,
 * as the api issues its commands. The decider re-reads the stream and decides, so a stale timer
 * yields nothing. Event ids derive from the timer key, so a job run twice (a retry after a crash
 * between append and completion) appends once.
 */
export class TimerWorker {
  readonly worker: Worker<TimerQueueJobData, unknown>;
  private readonly logger: SchedulingLogger;
  /** No kept states: the api appends to the same streams, so a kept state here would mostly be stale. */
  private readonly requests: DeciderCommandHandler<ContactRequestCommand, ContactRequestEvent, State, unknown>;

  constructor(private readonly options: TimerWorkerOptions) {
    this.requests = new DeciderCommandHandler({ store: options.store, decider: contactRequestDecider, streamIdFor });
    this.logger = options.logger ?? consoleLogger;
    this.worker = new Worker(options.name ?? TIMER_QUEUE_NAME, (job, token) => this.process(job, token), {
      connection: options.connection,
      prefix: options.prefix,
      concurrency: options.concurrency ?? 4,
      ...jobLock(options.jobLockMs),
      autorun: options.autorun ?? true,
    });
    this.worker.on('failed', (job, error) => {
      if (error instanceof DelayedError) return;
      this.logger.error(`[timers] job ${job?.id} (${job?.name}) failed, attempt ${job?.attemptsMade}`, error);
    });
    // The reason in the line itself: loggers that take the error as a context (Nest's) drop it.
    this.worker.on('error', (error) => this.logger.error(`[timers] worker error: ${error.message}`, error));
  }

  run(): Promise<void> {
    return this.worker.run();
  }

  async close(): Promise<void> {
    await closeWorker(this.worker);
  }

  private async process(job: Job, token?: string): Promise<unknown> {
    if (job.name === RECONCILE_JOB_NAME) {
      if (!this.options.reconcile) return { outcome: 'no reconciler' };
      return this.options.reconcile();
    }
    const outcome = await this.fire(job.id!, job.data as TimerJobData);
    if (outcome.outcome === 'early') {
      // Fired before its time (clock skew, delay rounding): back to the delayed set, same id.
      const wait = Math.max(1, Date.parse(outcome.retryAt) - this.options.clock().getTime());
      await job.moveToDelayed(Date.now() + wait, token);
      throw new DelayedError();
    }
    return outcome;
  }

  /**
   * Issues the timer's command. Domain errors mean "nothing to do" (the request vanished or the
   * command no longer applies): the job completes. Anything else throws, and BullMQ retries it.
   */
  async fire(jobId: string, data: TimerJobData): Promise<TimerJobOutcome> {
    try {
      const result = await this.requests.handle(
        data.requestId,
        data.command,
        { now: this.options.clock(), policy: this.options.policy },
        {
          eventIds: eventIdsFor(data.key, streamIdFor(data.requestId)),
          // The timer key correlates everything one timer caused (its retries included); the job id is the cause.
          metadata: { causationId: jobId, correlationId: data.key, actor: { ...TIMER_ACTOR } },
        },
      );
      const pause = faultSeam('timer-job');
      if (pause) await pause;
      if (result.events.length > 0) return { outcome: 'appended', eventTypes: result.events.map((e) => e.type) };
      const early = Date.parse(data.at) > this.options.clock().getTime();
      if (early && nextTimers(result.state).some((t) => t.key === data.key)) return { outcome: 'early', retryAt: data.at };
      return { outcome: 'nothing' };
    } catch (error) {
      if (error instanceof DomainError) {
        this.logger.warn?.(`[timers] ${data.key}: ${error.message}; nothing to do`);
        return { outcome: 'refused', code: error.code };
      }
      throw error;
    }
  }
}
