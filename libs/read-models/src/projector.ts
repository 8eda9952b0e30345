import type Redis from 'ioredis';
import { faultSeam, type RecordedEvent } from '@send/event-store';
import { keys } from './keys';
import type { ProjectorLease } from './lease/projector-lease';
import { ReadThroughOverlay, type ReadModelReader, type ReadModelWrites } from './read-through';

/** Per-event scratch space the Projector hands every projection: lets them share one fold of the request. */
export interface EventContext {
  memo<T>(key: string, compute: () => Promise<T>): Promise<T>;
}

/**
 * One read model. For each event it reads what it needs through `reader` (the state after every
 * earlier event, including those of the same batch) and queues its changes on `writes` (the batch's
 * MULTI, committed with the checkpoint).
 */
export interface Projection {
  readonly name: string;
  /** The string keys `project` will read for this event: prefetched for a whole batch in one MGET (a miss is read on demand). */
  keysRead?(event: RecordedEvent): string[];
  project(event: RecordedEvent, reader: ReadModelReader, writes: ReadModelWrites, context: EventContext): Promise<void> | void;
}

export interface ProjectorOptions {
  /**
   * When given, the projector writes only while holding this lease: each MULTI is fenced by a WATCH
   * on the lease key, so a holder that lost the lease (paused past its TTL while a rebuild took over)
   * cannot write into the rebuilt read models. Give the projector its own connection (WATCH is
   * per connection).
   */
  lease?: ProjectorLease;
}

/** The lease was not ours when the projector came to write: the event was not applied. */
export class LeaseLost extends Error {
  override readonly name = 'LeaseLost';
  constructor(projector: string, position: bigint) {
    super(`Projector ${projector}: the projections lease is not held; event at position ${position} not applied`);
  }
}

/**
 * Applies events to a set of projections, writing their changes and the checkpoint in one MULTI,
 * so an event delivered twice (at-least-once subscriptions) changes nothing the second time.
 * Runs as the single active writer of its read models (see ProjectionsRunner and its lease).
 *
 * Batches: `handleBatch` applies many events with two round trips in all: one pipelined read (WATCH
 * the lease, the lease holder, the checkpoint, an MGET of every key the batch's projections read)
 * and one MULTI/EXEC with every write and the checkpoint of the batch's last event. Projections read
 * through an overlay of the batch's own writes, so the result is the same as one event at a time.
 */
export class Projector {
  private checkpoint: bigint | null | undefined;
  /** Each distinct keysRead once (several request projections share requestChangeKeys). */
  private readonly readers: Array<(event: RecordedEvent) => string[]>;

  constructor(
    readonly name: string,
    private readonly redis: Redis,
    private readonly projections: Projection[],
    private readonly options: ProjectorOptions = {},
  ) {
    const distinct = new Map<(event: RecordedEvent) => string[], Projection>();
    for (const projection of projections)
      if (projection.keysRead && !distinct.has(projection.keysRead)) distinct.set(projection.keysRead, projection);
    this.readers = [...distinct].map(
      ([read, projection]) =>
        (event: RecordedEvent) =>
          read.call(projection, event),
    );
  }

  get checkpointKey(): string {
    return keys.checkpoint(this.name);
  }

  async loadCheckpoint(): Promise<bigint | null> {
    const stored = await this.redis.get(this.checkpointKey);
    this.checkpoint = stored === null ? null : BigInt(stored);
    return this.checkpoint;
  }

  async handle(event: RecordedEvent): Promise<void> {
    await this.handleBatch([event]);
  }

  /** Applies `events` (in position order) atomically: all of them and the checkpoint, or nothing. */
  async handleBatch(events: RecordedEvent[]): Promise<void> {
    if (events.length === 0) return;
    // A fenced MULTI also aborts when the holder itself renewed the lease meanwhile (PEXPIRE touches
    // the watched key): try again while the lease is still ours.
    for (let attempt = 1; ; attempt++) {
      const applied = await this.tryBatch(events);
      if (applied) return;
      if (attempt >= 10 || !(await this.options.lease!.isHeld())) throw new LeaseLost(this.name, events[0].position);
    }
  }

  /** False when the lease's WATCH aborted the MULTI. */
  private async tryBatch(events: RecordedEvent[]): Promise<boolean> {
    const lease = this.options.lease;
    const toRead = this.keysRead(events);
    try {
      // One round trip: ioredis writes these in order on the connection without awaiting each.
      const watched = lease ? this.redis.watch(lease.key) : null;
      const [, holder, stored, values] = await Promise.all([
        watched,
        lease ? this.redis.get(lease.key) : null,
        this.redis.get(this.checkpointKey),
        toRead.length > 0 ? this.redis.mget(toRead) : Promise.resolve([] as Array<string | null>),
      ]);
      if (lease && holder !== lease.token) {
        await this.redis.unwatch();
        throw new LeaseLost(this.name, events[0].position);
      }
      // Read under the watch every time (it costs nothing more): a rebuild may have moved it.
      this.checkpoint = stored === null ? null : BigInt(stored);
      const checkpoint = this.checkpoint;
      const fresh = checkpoint === null ? events : events.filter((e) => e.position > checkpoint);
      if (fresh.length === 0) {
        if (lease) await this.redis.unwatch();
        return true; // already applied
      }
      const tx = this.redis.multi();
      const overlay = new ReadThroughOverlay(this.redis, tx);
      overlay.preload(toRead, values);
      for (const event of fresh) {
        const context = eventContext();
        for (const projection of this.projections) await projection.project(event, overlay, overlay, context);
      }
      await overlay.endBatch();
      overlay.flush();
      const last = fresh[fresh.length - 1].position;
      tx.set(this.checkpointKey, last.toString());
      const pause = faultSeam('projection-batch');
      if (pause) await pause;
      const results = await tx.exec();
      if (!results && lease) {
        this.checkpoint = undefined;
        return false;
      }
      const failed = results?.find(([error]) => error);
      if (!results || failed) {
        throw new Error(
          `Projector ${this.name}: MULTI failed for positions ${fresh[0].position}..${last}: ${failed?.[0]?.message ?? 'aborted'}`,
        );
      }
      this.checkpoint = last;
      return true;
    } catch (error) {
      this.checkpoint = undefined; // unknown after a failure
      if (lease) await this.redis.unwatch().catch(() => undefined);
      throw error;
    }
  }

  private keysRead(events: RecordedEvent[]): string[] {
    const wanted = new Set<string>();
    for (const event of events) for (const read of this.readers) for (const key of read(event)) wanted.add(key);
    return [...wanted];
  }
}

function eventContext(): EventContext {
  const values = new Map<string, Promise<unknown>>();
  return {
    memo<T>(key: string, compute: () => Promise<T>): Promise<T> {
      if (!values.has(key)) values.set(key, compute());
      return values.get(key) as Promise<T>;
    },
  };
}
