import type { AllSubscription, EventStore, RecordedEvent, SubscriptionFilter } from '../event-store.port';
import type { CheckpointStore } from './checkpoint-store';

const NOT_READY = Symbol('not ready');

export interface RunnerLogger {
  error(message: string, error?: unknown): void;
  info?(message: string): void;
}

export interface SubscriptionRunnerOptions {
  store: EventStore;
  checkpoints: CheckpointStore;
  /** The consumer's name: its checkpoint key. One active runner per name. */
  name: string;
  filter?: SubscriptionFilter;
  /** Handles one event. Give this or `handleBatch`. */
  handle?(event: RecordedEvent): Promise<void>;
  /**
   * Handles several events at once, in order (all or nothing: a failure retries the whole batch).
   * A batch is what the subscription has ready without waiting: during catch-up up to `maxBatch`
   * events of its pages; live, usually the one or few events just appended, so latency stays that
   * of a single event.
   */
  handleBatch?(events: RecordedEvent[]): Promise<void>;
  /** Largest batch handed to `handleBatch`. Default 500. */
  maxBatch?: number;
  /**
   * Reads the next batch (a subscription with nextBatch) while `handleBatch` waits on its own I/O,
   * instead of after it resolved: a store's page read (SQLite: synchronous) then runs while the
   * handler's Redis works, not while it sits idle. Only after a full batch (catching up); the batch
   * read ahead is handed on only once the one before is handled, and dropped when the runner stops.
   * Default false.
   */
  readAhead?: boolean;
  /**
   * 'after-handle': the runner saves the event's position once `handle` resolved.
   * 'handler-owned': the handler writes the checkpoint itself, atomically with its own changes
   * (a projection's Redis MULTI); the runner only loads it at start.
   */
  checkpointMode: 'after-handle' | 'handler-owned';
  logger?: RunnerLogger;
  /** Backoff between retries of a failing handler, checkpoint save or subscription. */
  retry?: { initialMs?: number; maxMs?: number };
}

/**
 * Runs one durable consumer: loads its checkpoint, subscribes to $all after it, and hands each
 * event to `handle` in order. At-least-once: a failing handler is retried with backoff (never
 * skipped: later events wait), and an event whose checkpoint was not saved is delivered again
 * after a restart. stop() closes the subscription and awaits the handler in flight.
 */
export class SubscriptionRunner {
  private position: bigint | 'start' = 'start';
  private stopping = false;
  private loopDone: Promise<void> | null = null;
  private subscription: AllSubscription | null = null;
  private wakeSleep: (() => void) | null = null;
  private failures = 0;
  private lastErrorValue: unknown = null;
  /** Position of the last event the subscription handed over, handled or not yet. */
  private received: bigint | 'start' = 'start';
  /** A checkpoint the store reported (onCheckpoint), saved once everything received before it is handled. */
  private storeCheckpoint: bigint | null = null;

  constructor(private readonly options: SubscriptionRunnerOptions) {
    if (!options.handle && !options.handleBatch) throw new Error(`Subscription ${options.name}: give handle or handleBatch`);
  }

  get name(): string {
    return this.options.name;
  }

  /** The position of the last event handled (and checkpointed in 'after-handle' mode). */
  get checkpoint(): bigint | 'start' {
    return this.position;
  }

  get running(): boolean {
    return this.loopDone !== null && !this.stopping;
  }

  /** The last handler/subscription error while it is still failing; null once it recovered. */
  get lastError(): unknown {
    return this.lastErrorValue;
  }

  /**
   * Writes the checkpoint again when the store lost it (a Redis flushed or restarted empty while
   * this runner ran on from its position in memory): otherwise a restart before the next event
   * would begin again from the start. True when it was lost and written. 'after-handle' mode only:
   * a handler-owned checkpoint belongs with the handler's data, and when that is lost too the
   * handler must begin again (the projections rebuild).
   */
  async restoreCheckpoint(): Promise<boolean> {
    const position = this.position;
    if (this.options.checkpointMode !== 'after-handle' || position === 'start' || !this.running) return false;
    if ((await this.options.checkpoints.load(this.name)) !== 'start') return false;
    await this.options.checkpoints.save(this.name, position);
    return true;
  }

  /** Loads the checkpoint and starts consuming in the background. Resolves once subscribed. */
  async start(): Promise<void> {
    if (this.loopDone) throw new Error(`Subscription ${this.name} is already started`);
    this.stopping = false;
    this.position = await this.options.checkpoints.load(this.name);
    this.received = this.position;
    this.loopDone = this.loop();
  }

  /**
   * Stops after the event in flight (its handler is awaited, its checkpoint saved). With `drainMs`
   * it first hands on what the store held when stop was called: it waits until it has handled the
   * store's head, or until nothing more came for a moment (the head may be an event its filter
   * skips), but never longer than `drainMs`.
   */
  async stop(options: { drainMs?: number } = {}): Promise<void> {
    if (!this.loopDone) return;
    if (options.drainMs && !this.stopping) await this.drain(options.drainMs);
    this.stopping = true;
    this.wakeSleep?.();
    await this.subscription?.close();
    await this.loopDone;
    this.loopDone = null;
  }

  /** Every event the subscription handed over is handled: none waits in a batch or a handler. */
  private get handledAllReceived(): boolean {
    return this.received === 'start' || (this.position !== 'start' && this.received <= this.position);
  }

  private async drain(maxMs: number): Promise<void> {
    const deadline = Date.now() + maxMs;
    const head = await this.options.store.headPosition().catch(() => null);
    if (head === null) return;
    // Quiet for longer than a store's poll for others' appends (SQLite: 5 ms) and a handler's round trip.
    const quietMs = 100;
    for (;;) {
      const before = this.position;
      if (before !== 'start' && before >= head) return;
      if (Date.now() >= deadline) return;
      await new Promise((resolve) => setTimeout(resolve, Math.min(quietMs, Math.max(1, deadline - Date.now()))));
      if (this.position === before && this.handledAllReceived) return; // quiet: nothing more came
    }
  }

  private async loop(): Promise<void> {
    while (!this.stopping) {
      this.received = this.position;
      this.storeCheckpoint = null;
      const subscription = this.options.store.subscribeToAll({
        from: this.position,
        filter: this.options.filter,
        onCheckpoint: (position) => this.onStoreCheckpoint(position),
      });
      this.subscription = subscription;
      try {
        if (this.options.handleBatch) await this.consumeBatches(subscription, this.options.handleBatch);
        else await this.consumeOneByOne(subscription, this.options.handle!);
      } catch (error) {
        // The subscription itself failed (connection lost...): resubscribe from the last handled event.
        this.report(`subscription failed; resubscribing from ${String(this.position)}`, error);
        await this.sleep(this.backoff());
      } finally {
        await subscription.close().catch(() => undefined);
        this.subscription = null;
      }
    }
  }

  private async consumeOneByOne(subscription: AllSubscription, handle: (event: RecordedEvent) => Promise<void>): Promise<void> {
    for await (const event of subscription) {
      this.received = event.position;
      if (this.stopping) break;
      if (this.position !== 'start' && event.position <= this.position) continue;
      if (!(await this.retrying(`handler failed on ${event.type} at position ${event.position}`, () => handle(event)))) break;
      if (!(await this.handled(event.position))) break;
    }
  }

  /**
   * Gathers the events the subscription yields without waiting for I/O (everything before the next
   * setImmediate: a catch-up page, or the live events one poll found) and hands them on together.
   */
  private async consumeBatches(subscription: AllSubscription, handleBatch: (events: RecordedEvent[]) => Promise<void>): Promise<void> {
    const maxBatch = Math.max(1, this.options.maxBatch ?? 500);
    if (subscription.nextBatch) {
      // A page per call: no promise and no race per event (measured: a sixth of the catch-up's CPU).
      let ahead: Promise<RecordedEvent[] | null> | null = null;
      for (;;) {
        const events = await (ahead ?? subscription.nextBatch(maxBatch));
        ahead = null;
        if (events === null || this.stopping) return;
        if (events.length > 0) this.received = events[events.length - 1].position;
        const after = this.position;
        const batch = after === 'start' ? events : events.filter((e) => e.position > after);
        const handled = this.handleOneBatch(batch, handleBatch);
        // Only behind a full batch (catching up: the next page is there to read). Live, a read ahead
        // would take the events of the moment it ran and leave later ones a whole batch longer.
        if (this.options.readAhead && events.length >= maxBatch) {
          // handleOneBatch ran up to its first wait on I/O: the next page is read now, meanwhile.
          ahead = subscription.nextBatch(maxBatch);
          // Its failure is met when it is awaited, or not at all when we stop first: never unhandled.
          ahead.catch(() => undefined);
        }
        if (!(await handled)) return;
      }
    }
    const events = subscription[Symbol.asyncIterator]();
    // An event counts as received when the subscription hands it over, though it waits here unhandled.
    const iterator = {
      next: () =>
        events.next().then((result) => {
          if (!result.done) this.received = result.value.position;
          return result;
        }),
      return: async () => {
        await events.return?.();
      },
    };
    let pending: Promise<IteratorResult<RecordedEvent>> | null = null;
    try {
      for (;;) {
        const first = await (pending ?? iterator.next());
        pending = null;
        if (first.done || this.stopping) return;
        const batch: RecordedEvent[] = [];
        const take = (event: RecordedEvent) => {
          const last = batch.length > 0 ? batch[batch.length - 1].position : this.position;
          if (last === 'start' || event.position > last) batch.push(event);
        };
        take(first.value);
        let ended = false;
        const turnOver = new Promise<typeof NOT_READY>((resolve) => setImmediate(resolve, NOT_READY));
        while (batch.length < maxBatch && !this.stopping) {
          pending = iterator.next();
          const next = await Promise.race([pending, turnOver]);
          if (next === NOT_READY) break; // the subscription waits for new appends: flush what we have
          pending = null;
          if (next.done) {
            ended = true;
            break;
          }
          take(next.value);
        }
        if (!(await this.handleOneBatch(batch, handleBatch))) return;
        if (ended || this.stopping) return;
      }
    } finally {
      // A next() still pending when we leave settles once the subscription is closed: nobody awaits it.
      pending?.catch(() => undefined);
      if (!pending) await iterator.return().catch(() => undefined);
    }
  }

  /** Hands a batch on (retrying until it succeeds) and moves past it. False when stopping. */
  private async handleOneBatch(batch: RecordedEvent[], handleBatch: (events: RecordedEvent[]) => Promise<void>): Promise<boolean> {
    if (batch.length === 0) return true;
    const from = batch[0].position;
    const to = batch[batch.length - 1].position;
    const what =
      batch.length === 1 ? `${batch[0].type} at position ${from}` : `batch of ${batch.length} events at positions ${from}..${to}`;
    if (!(await this.retrying(`handler failed on ${what}`, () => handleBatch(batch)))) return false;
    return this.handled(to);
  }

  /** After a successful handle: saves the checkpoint (in 'after-handle' mode) and moves on. False when stopping. */
  private async handled(position: bigint): Promise<boolean> {
    if (this.options.checkpointMode === 'after-handle') {
      if (
        !(await this.retrying(`checkpoint save failed at position ${position}`, () => this.options.checkpoints.save(this.name, position)))
      ) {
        return false;
      }
    }
    this.position = position;
    await this.saveStoreCheckpoint();
    return true;
  }

  /**
   * The store has looked up to `position` and handed over every matching event at or below it
   * (KurrentDB's filtered-subscription checkpoints): a consumer of rare events saves it, so a
   * restart resumes there instead of rescanning all it skipped. Saved (in either mode: a
   * handler-owned checkpoint is the same key) only once every event received is handled.
   */
  private async onStoreCheckpoint(position: bigint): Promise<void> {
    if (this.position !== 'start' && position <= this.position) return;
    this.storeCheckpoint = position;
    await this.saveStoreCheckpoint();
  }

  private async saveStoreCheckpoint(): Promise<void> {
    const position = this.storeCheckpoint;
    if (position === null || !this.handledAllReceived || this.stopping) return;
    this.storeCheckpoint = null;
    try {
      await this.options.checkpoints.save(this.name, position);
      this.position = this.received = position;
    } catch (error) {
      // Only an optimisation is lost: the next event's checkpoint, or the next store checkpoint, moves it on.
      this.report(`store checkpoint save failed at position ${position}`, error);
    }
  }

  /** Runs `work` until it succeeds (true) or the runner is stopping (false). */
  private async retrying(what: string, work: () => Promise<void>): Promise<boolean> {
    for (;;) {
      try {
        await work();
        this.failures = 0;
        this.lastErrorValue = null;
        return true;
      } catch (error) {
        this.report(what, error);
        if (this.stopping) return false;
        await this.sleep(this.backoff());
        if (this.stopping) return false;
      }
    }
  }

  private report(what: string, error: unknown): void {
    this.failures += 1;
    this.lastErrorValue = error;
    const logger = this.options.logger ?? { error: (m: string, e?: unknown) => console.error(m, e) };
    logger.error(`[subscription ${this.name}] ${what} (attempt ${this.failures})`, error);
  }

  private backoff(): number {
    const initial = this.options.retry?.initialMs ?? 100;
    const max = this.options.retry?.maxMs ?? 30_000;
    return Math.min(max, initial * 2 ** Math.min(this.failures - 1, 20));
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wakeSleep = () => {
        this.wakeSleep = null;
        done();
      };
    });
  }
}
