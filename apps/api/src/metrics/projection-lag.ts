import type Redis from 'ioredis';
import { TakeTurns, type EventStore } from '@send/event-store';
import { keys, PROJECTED_STREAM_PREFIXES, PROJECTIONS_NAME } from '@send/read-models';

export interface ProjectionLag {
  /** Projected events (request and user streams) stored but not yet in the read models; at most `cap`. */
  events: number;
  /** How long the oldest of them has waited: now minus its recordedAt; 0 when caught up. */
  seconds: number;
}

/**
 * How far the read models are behind the event store, from the store's head and the projections'
 * checkpoint in Redis (both shared, so any api replica answers the same). It reads the events
 * between the two, unfiltered so that the head event ends the read even when it is of a stream
 * the projections skip (such an event advances no checkpoint, and is no lag), and counts the
 * projected ones. At most `cap` events are read: a stopped projector or a rebuild reports `cap`
 * while the seconds keep growing.
 */
export async function projectionLag(store: EventStore, redis: Redis, now: Date, cap = 10_000): Promise<ProjectionLag> {
  const [head, stored] = await Promise.all([store.headPosition(), redis.get(keys.checkpoint(PROJECTIONS_NAME))]);
  const checkpoint = stored === null ? 0n : BigInt(stored);
  if (checkpoint >= head) return { events: 0, seconds: 0 };

  const projected = (streamId: string) => PROJECTED_STREAM_PREFIXES.some((p) => streamId.startsWith(p));
  const turns = new TakeTurns();
  const subscription = store.subscribeToAll({ from: stored === null ? 'start' : checkpoint });
  let events = 0;
  let oldest: Date | null = null;
  let read = 0;
  try {
    for await (const event of subscription) {
      if (event.position > head) break;
      if (projected(event.streamId)) {
        events += 1;
        oldest ??= event.recordedAt;
      }
      if (event.position >= head || ++read >= cap) break;
      await turns.turn();
    }
  } finally {
    await subscription.close();
  }
  return { events, seconds: oldest ? Math.max(0, now.getTime() - oldest.getTime()) / 1000 : 0 };
}
