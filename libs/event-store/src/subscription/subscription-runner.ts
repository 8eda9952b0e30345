import type { AllSubscription, EventStore, RecordedEvent, SubscriptionFilter } from '../event-store.port';
import type { CheckpointStore } from './checkpoint-store';

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
  handle(event: RecordedEvent): Promise<void>;
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

  constructor(private readonly options: SubscriptionRunnerOptions) {}

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

  /** Loads the checkpoint and starts consuming in the background. Resolves once subscribed. */
  async start(): Promise<void> {
    if (this.loopDone) throw new Error(`Subscription ${this.name} is already started`);
    this.stopping = false;
    this.position = await this.options.checkpoints.load(this.name);
    this.loopDone = this.loop();
  }

  /** Stops after the event in flight (its handler is awaited, its checkpoint saved). */
  async stop(): Promise<void> {
    if (!this.loopDone) return;
    this.stopping = true;
    this.wakeSleep?.();
    await this.subscription?.close();
    await this.loopDone;
    this.loopDone = null;
  }

  private async loop(): Promise<void> {
    while (!this.stopping) {
      const subscription = this.options.store.subscribeToAll({ from: this.position, filter: this.options.filter });
      this.subscription = subscription;
      try {
        for await (const event of subscription) {
          if (this.stopping) break;
          if (this.position !== 'start' && event.position <= this.position) continue;
          if (!(await this.retrying(`handler failed on ${event.type} at position ${event.position}`, () => this.options.handle(event)))) break;
          if (this.options.checkpointMode === 'after-handle') {
            if (!(await this.retrying(`checkpoint save failed at position ${event.position}`, () => this.options.checkpoints.save(this.name, event.position)))) {
              break;
            }
          }
          this.position = event.position;
        }
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
