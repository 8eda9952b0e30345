import type Redis from 'ioredis';
import type { ChainableCommander } from 'ioredis';
import { faultSeam, type RecordedEvent } from '@send/event-store';
import { keys } from './keys';
import type { ProjectorLease } from './lease/projector-lease';
import { ReadThroughOverlay, type ReadModelReader, type ReadModelWrites } from './read-through';

/** Per-event scratch space the Projector hands every projection: lets them share one fold of the request. */
export interface EventContext {
  /** What a projection stored under `key` for this event (undefined: nothing yet). */
  get<T>(key: string): T | undefined;
  set(key: string, value: unknown): void;
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
  /** Most events per MULTI within a batch (see tryBatch; the batch's tail goes in shorter parts, see partLength). Default DEFAULT_PART_SIZE. */
  partSize?: number;
}

/** Events per MULTI: a batch of 2,000 goes as four, each worked out while Redis applies the one before. */
export const DEFAULT_PART_SIZE = 500;

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
 * Batches: `handleBatch` applies many events with one pipelined read (WATCH the lease, the lease
 * holder, the checkpoint, an MGET of every key the batch's projections read) and a MULTI/EXEC per
 * part of the batch (at most `partSize` events), each with the part's writes and the checkpoint of its last
 * event, pipelined (see tryBatch). Projections read through an overlay of the batch's own writes, so
 * the result is the same as one event at a time.
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

  /** False when the lease's WATCH aborted a MULTI (the parts before it stay applied, with their checkpoint). */
  private async tryBatch(events: RecordedEvent[]): Promise<boolean> {
    const lease = this.options.lease;
    const toRead = this.keysRead(events);
    // A MULTI still in flight when we leave (only after a failure: its outcome no longer matters).
    let inFlight: Promise<boolean> | null = null;
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
      const overlay = new ReadThroughOverlay(this.redis);
      overlay.preload(toRead, values);
      const context = new EventScratch();
      // Parts, each its own MULTI with its own checkpoint, pipelined: part k+1 is worked out while
      // Redis runs part k's MULTI, and sent only once that one is known to be applied (and, under a
      // lease, once a new WATCH on it found it still ours), so the checkpoint never passes a write.
      const partSize = Math.max(1, this.options.partSize ?? DEFAULT_PART_SIZE);
      for (let start = 0, end = 0; start < fresh.length; start = end) {
        end = start + partLength(fresh.length - start, partSize);
        const part = fresh.slice(start, end);
        for (const event of part) {
          context.clear();
          for (const projection of this.projections) {
            // Most projections have nothing to do for most events and say so without a promise.
            const applying = projection.project(event, overlay, overlay, context);
            if (applying) await applying;
          }
        }
        await overlay.endBatch();
        if (inFlight) {
          const applied = await inFlight;
          inFlight = null;
          if (!applied) return false;
        }
        const tx = this.redis.multi();
        overlay.flush(tx);
        const last = part[part.length - 1].position;
        tx.set(this.checkpointKey, last.toString());
        const pause = faultSeam('projection-batch');
        if (pause) await pause;
        const next = fresh[end]?.position ?? null;
        inFlight = this.commit(tx, part[0].position, last, next);
        inFlight.catch(() => undefined); // awaited below or after the next part; not unhandled meanwhile
        if (next === null) {
          const applied = await inFlight;
          inFlight = null;
          return applied;
        }
      }
      return true; // not reached: the last part returns
    } catch (error) {
      this.checkpoint = undefined; // unknown after a failure
      inFlight?.catch(() => undefined);
      if (lease) await this.redis.unwatch().catch(() => undefined);
      throw error;
    }
  }

  /**
   * Sends the MULTI; when another part follows (at position `next`) under a lease, WATCHes the lease
   * again right behind it (EXEC drops every WATCH) and reads its holder. Resolves true once applied
   * (and the lease still ours for the next part), false when the WATCH aborted it.
   */
  private async commit(tx: ChainableCommander, first: bigint, last: bigint, next: bigint | null): Promise<boolean> {
    const lease = this.options.lease;
    const executed = tx.exec();
    const holder = next !== null && lease ? Promise.all([this.redis.watch(lease.key), this.redis.get(lease.key)]) : null;
    const results = await executed;
    if (!results && lease) {
      this.checkpoint = undefined;
      // The WATCH sent for the next part stays set: drop it, the retry watches afresh.
      if (holder) await Promise.all([holder.catch(() => undefined), this.redis.unwatch()]);
      return false;
    }
    const failed = results?.find(([error]) => error);
    if (!results || failed) {
      await holder?.catch(() => undefined);
      throw new Error(`Projector ${this.name}: MULTI failed for positions ${first}..${last}: ${failed?.[0]?.message ?? 'aborted'}`);
    }
    this.checkpoint = last;
    if (holder && (await holder)[1] !== lease!.token) throw new LeaseLost(this.name, next!);
    return true;
  }

  private keysRead(events: RecordedEvent[]): string[] {
    const wanted = new Set<string>();
    for (const event of events) for (const read of this.readers) for (const key of read(event)) wanted.add(key);
    return [...wanted];
  }
}

/** A tail part shorter than this is not split again (see partLength). */
const SHORTEST_TAIL_PART = 32;

/**
 * How many of the `remaining` events of a batch go in the next part. Full parts, then a tail that
 * halves: the batch's last MULTI is waited for with nothing left to work out (the next batch is
 * not ours yet), so it is kept short, and each part of the tail is worked out while Redis applies
 * the one before, twice as long (Redis applies an event in about half the time it takes here).
 */
export function partLength(remaining: number, partSize: number): number {
  if (remaining >= 2 * partSize) return partSize;
  const half = Math.ceil(remaining / 2);
  return Math.min(partSize, half >= SHORTEST_TAIL_PART ? half : remaining);
}

/** The per-event context, cleared before each event rather than made anew (the catch-up makes millions). */
class EventScratch implements EventContext {
  private readonly values = new Map<string, unknown>();

  get<T>(key: string): T | undefined {
    return this.values.get(key) as T | undefined;
  }

  set(key: string, value: unknown): void {
    this.values.set(key, value);
  }

  clear(): void {
    this.values.clear();
  }
}
