import type { EventStore, RecordedEvent } from '@send/event-store';

export interface ReadStoreOptions {
  /** Only events of streams starting with one of these (all events when absent). */
  streamPrefixes?: readonly string[];
  /** Stop (before handing it on) at the first event for which this is true. */
  stopAt?: (event: RecordedEvent) => boolean;
  /** For stores that cannot tell their head position: caught up once no event came for this long. Default 1000 ms. */
  idleMs?: number;
}

/** The position of the store's last event, when the adapter can tell (SqliteEventStore.readHead). */
export async function headPositionOf(store: EventStore): Promise<bigint | null> {
  const readHead = (store as { readHead?: () => bigint | Promise<bigint> }).readHead;
  return typeof readHead === 'function' ? await readHead.call(store) : null;
}

/**
 * Every event of the store so far, in global order, handed to `onEvent` (awaited one at a time).
 * A subscription never ends by itself, so it stops at the head position read at the start (events
 * appended meanwhile are left to the live subscription), or, for a store that cannot tell its head,
 * once it has been idle for `idleMs`. Returns how many events it handed on.
 */
export async function readStore(
  store: EventStore,
  onEvent: (event: RecordedEvent) => Promise<void> | void,
  options: ReadStoreOptions = {},
): Promise<{ count: number; head: bigint | null; last: bigint | null }> {
  const head = await headPositionOf(store);
  const prefixes = options.streamPrefixes;
  const wanted = (e: RecordedEvent) => !prefixes || prefixes.some((p) => e.streamId.startsWith(p));
  let count = 0;
  let last: bigint | null = null;
  if (head === 0n) return { count, head, last };
  // With a known head, read unfiltered so the head event itself arrives and ends the read.
  const subscription = store.subscribeToAll({
    from: 'start',
    filter: head === null && prefixes ? { streamPrefixes: [...prefixes] } : undefined,
  });
  const iterator = subscription[Symbol.asyncIterator]();
  try {
    for (;;) {
      const next = head === null ? await withIdleTimeout(iterator.next(), options.idleMs ?? 1000) : await iterator.next();
      if (next === 'idle' || next.done) break;
      const event = next.value;
      if (head !== null && event.position > head) break;
      if (options.stopAt?.(event)) break;
      if (wanted(event)) {
        await onEvent(event);
        count += 1;
      }
      last = event.position;
      if (head !== null && event.position >= head) break;
    }
  } finally {
    await subscription.close();
  }
  return { count, head, last };
}

function withIdleTimeout<T>(promise: Promise<T>, ms: number): Promise<T | 'idle'> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<'idle'>((resolve) => (timer = setTimeout(() => resolve('idle'), ms))),
  ]);
}
