import { evolveStored, initialState, KeptStates, nextTimers, REQUEST_STREAM_PREFIX, type State, type Timer } from '@send/domain';
import { SubscriptionRunner, type CheckpointStore, type EventStore, type RecordedEvent } from '@send/event-store';
import { consoleLogger, type SchedulingLogger } from './logger';
import { ENSURE_CHUNK, type TimerQueue } from './timer-queue';

export const TIMER_PROCESS_MANAGER_NAME = 'timers';

/** Same key, due at the same instant, same command (a timer's command is flat: a field-by-field compare, no JSON per timer per event). */
const sameTimer = (a: Timer | undefined, b: Timer): boolean => {
  if (a === undefined || a.key !== b.key || a.at !== b.at) return false;
  const x = a.command as unknown as Record<string, unknown>;
  const y = b.command as unknown as Record<string, unknown>;
  const fields = Object.keys(x);
  return fields.length === Object.keys(y).length && fields.every((f) => x[f] === y[f]);
};

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
  /** How many requests to keep folded ("scheduled up to revision r, in this state"; default 10 000). */
  memory?: number;
  /** Timer changes written together while catching up (default ENSURE_CHUNK). */
  batchSize?: number;
  /** Write what was collected once no event followed for this long (default 20 ms). */
  idleMs?: number;
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
 * idempotent (job id = timer key). A timer the event left unchanged (same key, `at` and command as
 * in the state this process kept from the request's previous event) is not ensured again: most
 * events (another unanswered attempt) change no timer, and re-ensuring cost a Redis lookup per
 * timer per event. So a job Redis loses is no longer put back by the request's next event but by
 * the reconciler (the watch, within 30 s of a flush; the scheduled run, every 5 min, otherwise).
 *
 * Batching: what the events want (ensure this timer, cancel that one; per key the latest word wins,
 * as if done in order) is collected and written together (`TimerQueue.ensureMany`), then the
 * checkpoint is saved — so the checkpoint never passes an event whose timers are not in Redis
 * (the handler owns it). A batch is written when it is full, when the event is at the store's head
 * (live: at once), when no event followed for `idleMs` (the head is not a contact-request event),
 * and at stop().
 */
export class TimerProcessManager {
  readonly runner: SubscriptionRunner;
  /** Requests' states as of the last event planned for them: the next event of the stream is folded on, not read again. */
  private readonly kept: KeptStates;
  private readonly logger: SchedulingLogger;
  private readonly batchSize: number;
  private readonly idleMs: number;
  private readonly name: string;
  /** Per timer key: ensure (the timer) or cancel (null), latest event's word. */
  private pending = new Map<string, Timer | null>();
  private pendingPosition: bigint | null = null;
  private pendingEvents = 0;
  private knownHead = -1n;
  private idleTimer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> | null = null;
  private lock: Promise<unknown> = Promise.resolve();
  private stopping = false;

  constructor(private readonly options: TimerProcessManagerOptions) {
    this.kept = new KeptStates(options.memory);
    this.logger = options.logger ?? consoleLogger;
    this.batchSize = options.batchSize ?? ENSURE_CHUNK;
    this.idleMs = options.idleMs ?? 20;
    this.name = options.name ?? TIMER_PROCESS_MANAGER_NAME;
    this.runner = new SubscriptionRunner({
      store: options.store,
      checkpoints: options.checkpoints,
      name: this.name,
      filter: { streamPrefixes: [REQUEST_STREAM_PREFIX] },
      checkpointMode: 'handler-owned',
      handle: (event) => this.collect(event),
      logger: { error: (m, e) => this.logger.error(m, e), info: (m) => this.logger.log?.(m) },
      retry: options.retry,
    });
  }

  start(): Promise<void> {
    this.stopping = false;
    return this.runner.start();
  }

  /** Stops after the event in flight, then writes what is still collected (and its checkpoint). */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.runner.stop();
    this.clearIdle();
    await this.flushing;
    this.clearIdle();
    await this.flush().catch((error) =>
      this.logger.error('[timers] could not write the last timers at stop; their events are handled again at the next start', error),
    );
  }

  /** Ensures the timers of the event's request now (with anything collected before). Public for tests and tools. */
  async handle(event: RecordedEvent): Promise<void> {
    await this.plan(event);
    await this.flush();
  }

  /**
   * The runner's handler: collects, and writes when the batch is full or the event is the last one
   * for now. Events that changed no timer (most live events: another unanswered attempt) leave only
   * the checkpoint behind: that is written within idleMs, with whatever followed, not per event (a
   * checkpoint a few ms late only means those events are handled again after a crash, harmlessly).
   */
  private async collect(event: RecordedEvent): Promise<void> {
    await this.plan(event);
    const full = this.pending.size >= this.batchSize || this.pendingEvents >= this.batchSize * 10;
    if (!full && this.pending.size === 0) {
      if (!this.idleTimer) this.idleTimer = setTimeout(() => this.flushInBackground(), this.idleMs);
      return;
    }
    this.clearIdle();
    if (full || (await this.atHead(event.position))) await this.flush();
    else this.idleTimer = setTimeout(() => this.flushInBackground(), this.idleMs);
  }

  /** Adds what the event's request wants now to the pending batch. */
  private async plan(event: RecordedEvent): Promise<void> {
    const streamId = event.streamId;
    const known = this.kept.get(streamId);
    if (known === undefined || event.revision > known.revision) {
      // The usual case: the event follows what is kept, and is folded on. Otherwise (a stream not
      // kept, or events missed) read what is not known yet: the event and whatever followed it.
      const follows = known !== undefined && event.revision === known.revision + 1n;
      const events = follows ? [event] : await this.options.store.read(streamId, known ? { fromRevision: known.revision + 1n } : undefined);
      if (events.length > 0) {
        // The states from just before this event up to the stream's end, for what to cancel.
        let state: State = known?.state ?? initialState;
        const earlier = new Map<string, Timer>();
        for (const e of events) {
          if (e.revision >= event.revision) for (const t of nextTimers(state)) earlier.set(t.key, t);
          state = evolveStored(state, e);
        }
        const wanted = nextTimers(state);
        for (const timer of wanted) {
          // Folded on from the kept state, a timer that state wanted already, unchanged, needs no
          // ensure: that state's event put it in `pending`, so it is in Redis or still pending (a
          // failed write puts its batch back). A job Redis lost since is the reconciler's.
          if (!(follows && sameTimer(earlier.get(timer.key), timer))) this.pending.set(timer.key, timer);
          earlier.delete(timer.key);
        }
        // Timers this event (or a later one in the stream) retired: tidy them away.
        for (const key of earlier.keys()) this.pending.set(key, null);
        this.kept.set(streamId, events[events.length - 1].revision, state);
      }
    }
    if (this.pendingPosition === null || event.position > this.pendingPosition) this.pendingPosition = event.position;
    this.pendingEvents += 1;
  }

  /** Writes the pending batch, then its checkpoint; one write at a time. On failure the batch stays pending. */
  private flush(): Promise<void> {
    const write = this.lock.then(() => this.write());
    this.lock = write.catch(() => undefined);
    return write;
  }

  private async write(): Promise<void> {
    if (this.pendingPosition === null) return;
    const batch = this.pending;
    const position = this.pendingPosition;
    const events = this.pendingEvents;
    this.pending = new Map();
    this.pendingPosition = null;
    this.pendingEvents = 0;
    try {
      const ensure: Timer[] = [];
      const cancel: string[] = [];
      for (const [key, timer] of batch) timer ? ensure.push(timer) : cancel.push(key);
      if (ensure.length > 0) await this.options.timers.ensureMany(ensure, this.options.clock());
      await Promise.all(cancel.map((key) => this.options.timers.cancel(key)));
      await this.options.checkpoints.save(this.name, position);
    } catch (error) {
      // Back in front of whatever was collected meanwhile (later words win).
      for (const [key, timer] of this.pending) batch.set(key, timer);
      this.pending = batch;
      this.pendingPosition ??= position;
      this.pendingEvents += events;
      throw error;
    }
  }

  private flushInBackground(): void {
    this.idleTimer = null;
    this.flushing = this.flush()
      .catch((error) => {
        this.logger.error('[timers] writing collected timers failed; retrying', error);
        if (!this.idleTimer && !this.stopping) this.idleTimer = setTimeout(() => this.flushInBackground(), Math.max(this.idleMs, 1000));
      })
      .finally(() => (this.flushing = null));
  }

  private clearIdle(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
  }

  /** At (or past) the store's head; the store is asked again only once the last head it gave is reached. */
  private async atHead(position: bigint): Promise<boolean> {
    if (position < this.knownHead) return false;
    this.knownHead = await this.options.store.headPosition();
    return position >= this.knownHead;
  }
}
