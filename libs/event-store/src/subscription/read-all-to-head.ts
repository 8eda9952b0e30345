import type { EventStore, RecordedEvent } from '../event-store.port';
import { TakeTurns } from '../take-turns';

export interface ReadAllToHeadOptions {
  /** Exclusive, as subscribeToAll's `from` (default 'start'). */
  from?: bigint | 'start';
  /** Only events of streams starting with one of these are handed on (all when absent). */
  streamPrefixes?: readonly string[];
  /** Only events of these types are handed on (all when absent); with prefixes too, both must match. */
  eventTypes?: readonly string[];
  /** Stops, before handing it on, at the first matching event for which this is true. */
  stopAt?: (event: RecordedEvent) => boolean;
}

export interface ReadAllToHeadResult {
  /** Events handed to `onEvent`. */
  count: number;
  /** The store's head when the read began: where it stopped, unless `stopAt` stopped it first. */
  head: bigint;
  /** Position of the last event read, matching or not (null when none was). */
  last: bigint | null;
}

/**
 * Hands every event of $all from `from` up to the store's head, as it was when called, to `onEvent`
 * (awaited when it returns a promise), in order, then stops: the bounded read the port does not
 * have, for one-off passes (a reconcile, a rebuild, an as-of replay). Events appended meanwhile are
 * left to the live subscriptions.
 *
 * The subscription is opened unfiltered and the filter applied here: the head event may be of any
 * stream, and a filtered subscription whose last match lies below the head would wait for the next
 * match instead of ending. The price is reading (and parsing) the events the filter drops; catch-up
 * still comes in the adapter's pages.
 *
 * It hands the event loop over every few hundred events (TakeTurns): reading SQLite resolves in
 * microtasks only, and a pass over a large log must not hold /health, HTTP requests or a worker's
 * BullMQ locks until it ends.
 */
export async function readAllToHead(
  store: EventStore,
  onEvent: (event: RecordedEvent) => unknown,
  options: ReadAllToHeadOptions = {},
): Promise<ReadAllToHeadResult> {
  const head = await store.headPosition();
  const from = options.from ?? 'start';
  let count = 0;
  let last: bigint | null = null;
  if (head === 0n || (from !== 'start' && from >= head)) return { count, head, last };
  const prefixes = options.streamPrefixes;
  const types = options.eventTypes ? new Set(options.eventTypes) : null;
  const subscription = store.subscribeToAll({ from });
  const turns = new TakeTurns();
  try {
    for await (const event of subscription) {
      if (event.position > head) break;
      const matches = (!prefixes || prefixes.some((p) => event.streamId.startsWith(p))) && (!types || types.has(event.type));
      if (matches) {
        if (options.stopAt?.(event)) break;
        const handled = onEvent(event);
        if (handled instanceof Promise) await handled;
        count += 1;
      }
      last = event.position;
      if (event.position >= head) break;
      const turn = turns.turn();
      if (turn) await turn;
    }
  } finally {
    await subscription.close();
  }
  return { count, head, last };
}
