import type { AllSubscription, RecordedEvent } from './event-store.port';

/**
 * What the stores' $all subscriptions share (SQLite, PostgreSQL): iterated once or read in
 * batches, never both; close() ends a wait at once and tells the store; ending an iteration early
 * closes the subscription. An adapter brings its reads (`run` for iteration, `nextBatch` for
 * batches, each calling `startBatching` first) and waits for new events through `waitFor`.
 */
export abstract class PagedAllSubscription implements AllSubscription {
  protected closed = false;
  private wakeClosed: (() => void) | null = null;
  private iterating = false;
  private batching = false;

  constructor(private readonly onClose: () => void) {}

  abstract nextBatch(max: number): Promise<RecordedEvent[] | null>;
  protected abstract run(): AsyncGenerator<RecordedEvent, void, undefined>;

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.wakeClosed?.();
    this.onClose();
  }

  [Symbol.asyncIterator](): AsyncIterator<RecordedEvent> {
    if (this.iterating || this.batching) throw new Error('A subscription can be iterated only once');
    this.iterating = true;
    const generator = this.run();
    return {
      next: () => generator.next(),
      return: async () => {
        await this.close();
        return generator.return(undefined);
      },
    };
  }

  /** nextBatch's first step: the batch size as a whole number of at least 1. */
  protected startBatching(max: number): number {
    if (this.iterating) throw new Error('A subscription is either iterated or read in batches');
    this.batching = true;
    return Math.max(1, Math.trunc(max));
  }

  /** Waits for the store's signal of new events, or for close(), whichever comes first. */
  protected async waitFor(signal: Promise<unknown>): Promise<void> {
    await new Promise<void>((resolve) => {
      this.wakeClosed = resolve;
      void signal.then(() => resolve());
    });
    this.wakeClosed = null;
  }
}
