import type { ChainableCommander } from 'ioredis';
import type Redis from 'ioredis';
import type { RecordedEvent } from '@send/event-store';
import { keys } from './keys';
import type { ProjectorLease } from './lease/projector-lease';

/** Per-event scratch space the Projector hands every projection: lets them share one fold of the request. */
export interface EventContext {
  memo<T>(key: string, compute: () => Promise<T>): Promise<T>;
}

/** One read model: adds its Redis writes for an event to the shared transaction. */
export interface Projection {
  readonly name: string;
  project(event: RecordedEvent, redis: Redis, tx: ChainableCommander, context?: EventContext): Promise<void>;
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
 */
export class Projector {
  private checkpoint: bigint | null | undefined;

  constructor(
    readonly name: string,
    private readonly redis: Redis,
    private readonly projections: Projection[],
    private readonly options: ProjectorOptions = {},
  ) {}

  get checkpointKey(): string {
    return keys.checkpoint(this.name);
  }

  async loadCheckpoint(): Promise<bigint | null> {
    const stored = await this.redis.get(this.checkpointKey);
    this.checkpoint = stored === null ? null : BigInt(stored);
    return this.checkpoint;
  }

  async handle(event: RecordedEvent): Promise<void> {
    // A fenced MULTI also aborts when the holder itself renewed the lease meanwhile (PEXPIRE touches
    // the watched key): try again while the lease is still ours.
    for (let attempt = 1; ; attempt++) {
      const applied = await this.tryHandle(event);
      if (applied) return;
      if (attempt >= 10 || !(await this.options.lease!.isHeld())) throw new LeaseLost(this.name, event.position);
    }
  }

  /** False when the lease's WATCH aborted the MULTI. */
  private async tryHandle(event: RecordedEvent): Promise<boolean> {
    const lease = this.options.lease;
    if (lease) {
      await this.redis.watch(lease.key);
      if (!(await lease.isHeld(this.redis))) {
        await this.redis.unwatch();
        throw new LeaseLost(this.name, event.position);
      }
      this.checkpoint = undefined; // reread under the watch: a rebuild may have moved it
    }
    try {
      if (this.checkpoint === undefined) await this.loadCheckpoint();
      if (this.checkpoint !== null && event.position <= this.checkpoint!) {
        if (lease) await this.redis.unwatch();
        return true; // already applied
      }
      const tx = this.redis.multi();
      const context = eventContext();
      for (const projection of this.projections) await projection.project(event, this.redis, tx, context);
      tx.set(this.checkpointKey, event.position.toString());
      const results = await tx.exec();
      if (!results && lease) {
        this.checkpoint = undefined;
        return false;
      }
      const failed = results?.find(([error]) => error);
      if (!results || failed)
        throw new Error(`Projector ${this.name}: MULTI failed at position ${event.position}: ${failed?.[0]?.message ?? 'aborted'}`);
      this.checkpoint = event.position;
      return true;
    } catch (error) {
      this.checkpoint = undefined; // unknown after a failure: reload before the retry
      if (lease) await this.redis.unwatch().catch(() => undefined);
      throw error;
    }
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
