import { initialState, nextTimers, type State, type Timer } from '@send/domain';
import { SubscriptionRunner, type CheckpointStore, type EventStore, type RecordedEvent } from '@send/event-store';
import { consoleLogger, type SchedulingLogger } from './logger';
import { foldRequest, REQUEST_STREAM_PREFIX } from './request-state';
import type { TimerQueue } from './timer-queue';

export const TIMER_PROCESS_MANAGER_NAME = 'timers';

export interface TimerProcessManagerOptions {
  store: EventStore;
  timers: TimerQueue;
  checkpoints: CheckpointStore;
  clock: () => Date;
  logger?: SchedulingLogger;
  /** Checkpoint name (default 'timers'). */
  name?: string;
  /** Runner backoff on failures (tests shorten it). */
  retry?: { initialMs?: number; maxMs?: number };
  /** How many requests to remember as "already scheduled up to revision r" (default 10 000). */
  memory?: number;
}

/**
 * Keeps BullMQ timers in step with the event store: a durable subscriber that, for each event of a
 * contact request, reads the request's whole stream, folds it and ensures every timer `nextTimers`
 * wants. It works from the stream's latest state, not the event's: a later event may already have
 * made a timer unnecessary, and catching up over one request's events then costs one read — events
 * at or below a revision already handled for that request are skipped.
 *
 * Timers the handled event made unnecessary (wanted just before it, not now) are cancelled. That is
 * tidiness: a stale timer that fires is a no-op. At-least-once delivery is harmless: ensure is
 * idempotent (job id = timer key).
 */
export class TimerProcessManager {
  readonly runner: SubscriptionRunner;
  private readonly handledUpTo = new Map<string, bigint>();
  private readonly memory: number;
  private readonly logger: SchedulingLogger;

  constructor(private readonly options: TimerProcessManagerOptions) {
    this.memory = options.memory ?? 10_000;
    this.logger = options.logger ?? consoleLogger;
    this.runner = new SubscriptionRunner({
      store: options.store,
      checkpoints: options.checkpoints,
      name: options.name ?? TIMER_PROCESS_MANAGER_NAME,
      filter: { streamPrefixes: [REQUEST_STREAM_PREFIX] },
      checkpointMode: 'after-handle',
      handle: (event) => this.handle(event),
      logger: { error: (m, e) => this.logger.error(m, e), info: (m) => this.logger.log?.(m) },
      retry: options.retry,
    });
  }

  start(): Promise<void> {
    return this.runner.start();
  }

  stop(): Promise<void> {
    return this.runner.stop();
  }

  /** Ensures the timers of the event's request. Public for tests and tools. */
  async handle(event: RecordedEvent): Promise<void> {
    const streamId = event.streamId;
    const done = this.handledUpTo.get(streamId);
    if (done !== undefined && event.revision <= done) return;

    const events = await this.options.store.read(streamId);
    if (events.length === 0) return;
    // One fold: the states from just before this event up to the stream's end, for what to cancel.
    let state: State = initialState;
    const earlier = new Map<string, Timer>();
    for (const e of events) {
      if (e.revision >= event.revision) for (const t of nextTimers(state)) earlier.set(t.key, t);
      state = foldRequest([e], state);
    }
    const wanted = nextTimers(state);
    const now = this.options.clock();
    for (const timer of wanted) await this.options.timers.ensure(timer, now);

    // Timers this event (or a later one in the stream) retired: tidy them away.
    for (const timer of wanted) earlier.delete(timer.key);
    for (const key of earlier.keys()) await this.options.timers.cancel(key);

    this.remember(streamId, events[events.length - 1].revision);
  }

  private remember(streamId: string, revision: bigint): void {
    this.handledUpTo.delete(streamId); // re-insert: Map order doubles as least-recently-used
    this.handledUpTo.set(streamId, revision);
    if (this.handledUpTo.size > this.memory) this.handledUpTo.delete(this.handledUpTo.keys().next().value!);
  }
}
