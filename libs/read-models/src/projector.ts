import type { ChainableCommander } from 'ioredis';
import type Redis from 'ioredis';
import type { RecordedEvent } from '@send/event-store';
import { keys } from './keys';

/** One read model: adds its Redis writes for an event to the shared transaction. */
export interface Projection {
  readonly name: string;
  project(event: RecordedEvent, redis: Redis, tx: ChainableCommander): Promise<void>;
}

/**
 * Applies events to a set of projections, writing their changes and the checkpoint in one MULTI,
 * so an event delivered twice (at-least-once subscriptions) changes nothing the second time.
 * Runs as the single active writer of its read models.
 */
export class Projector {
  private checkpoint: bigint | null | undefined;

  constructor(
    readonly name: string,
    private readonly redis: Redis,
    private readonly projections: Projection[],
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
    if (this.checkpoint === undefined) await this.loadCheckpoint();
    if (this.checkpoint !== null && event.position <= this.checkpoint!) return; // already applied
    const tx = this.redis.multi();
    for (const projection of this.projections) await projection.project(event, this.redis, tx);
    tx.set(this.checkpointKey, event.position.toString());
    const results = await tx.exec();
    const failed = results?.find(([error]) => error);
    if (!results || failed)
      throw new Error(`Projector ${this.name}: MULTI failed at position ${event.position}: ${failed?.[0]?.message ?? 'aborted'}`);
    this.checkpoint = event.position;
  }
}
