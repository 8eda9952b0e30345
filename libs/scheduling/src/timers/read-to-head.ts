import type { EventStore, RecordedEvent, SubscriptionFilter } from '@send/event-store';

export interface ReadToHeadOptions {
  filter?: SubscriptionFilter;
  /**
   * The store's head position, when the adapter can tell (SqliteEventStore.readHead). Without it,
   * the read ends once no event arrived for `idleMs`.
   */
  head?: () => bigint | Promise<bigint>;
  /** Quiet time that means "caught up" (default 250 ms); also ends a filtered read whose last match is below the head. */
  idleMs?: number;
}

/**
 * Reads $all from the start up to where the store was when called, then stops — the port has no
 * "list streams" and no bounded read, so this rides subscribeToAll: it ends at the head position
 * when known, or once the subscription has gone quiet (it is then live, waiting for new events).
 */
export async function readToHead(
  store: EventStore,
  onEvent: (event: RecordedEvent) => unknown, // a returned promise is awaited
  options: ReadToHeadOptions = {},
): Promise<number> {
  const headOf = options.head ?? defaultHead(store);
  const head = headOf ? await headOf() : null;
  if (head === 0n) return 0;
  const idleMs = options.idleMs ?? 250;
  const subscription = store.subscribeToAll({ from: 'start', filter: options.filter });
  const iterator = subscription[Symbol.asyncIterator]();
  let count = 0;
  try {
    for (;;) {
      let timer: NodeJS.Timeout | undefined;
      const idle = new Promise<'idle'>((resolve) => (timer = setTimeout(() => resolve('idle'), idleMs)));
      const next = await Promise.race([iterator.next(), idle]);
      clearTimeout(timer);
      if (next === 'idle' || next.done) break;
      await onEvent(next.value); // lets a long pass hand the event loop over (TakeTurns)
      count += 1;
      if (head !== null && next.value.position >= head) break;
    }
  } finally {
    await subscription.close();
  }
  return count;
}

function defaultHead(store: EventStore): (() => bigint) | undefined {
  const maybe = store as EventStore & { readHead?: () => bigint };
  return typeof maybe.readHead === 'function' ? () => maybe.readHead!() : undefined;
}
