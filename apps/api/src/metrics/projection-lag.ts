import type Redis from 'ioredis';
import { readAllToHead, type EventStore } from '@send/event-store';
import { keys, PROJECTED_STREAM_PREFIXES, PROJECTIONS_NAME } from '@send/read-models';

export interface ProjectionLag {
  /** Projected events (request and user streams) stored but not yet in the read models; at most `cap`. */
  events: number;
  /** How long the oldest of them has waited: now minus its recordedAt; 0 when caught up. */
  seconds: number;
}

/**
 * How far the read models are behind the event store, from the store's head and the projections'
 * checkpoint in Redis (both shared, so any api replica answers the same): the projected events
 * between the two (readAllToHead, which also takes turns on the event loop). At most `cap` are
 * counted: a stopped projector or a rebuild reports `cap` while the seconds keep growing.
 */
export async function projectionLag(store: EventStore, redis: Redis, now: Date, cap = 10_000): Promise<ProjectionLag> {
  const stored = await redis.get(keys.checkpoint(PROJECTIONS_NAME));
  let events = 0;
  let oldest: Date | null = null;
  await readAllToHead(
    store,
    (event) => {
      events += 1;
      oldest ??= event.recordedAt;
    },
    { from: stored === null ? 'start' : BigInt(stored), streamPrefixes: PROJECTED_STREAM_PREFIXES, stopAt: () => events >= cap },
  );
  return { events, seconds: oldest ? Math.max(0, now.getTime() - (oldest as Date).getTime()) / 1000 : 0 };
}
