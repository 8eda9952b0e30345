import type Redis from 'ioredis';
import type { ChainableCommander } from 'ioredis';

/**
 * Where a durable consumer keeps the position of the last event it has fully handled.
 * `load` returns 'start' when the consumer never saved one.
 */
export interface CheckpointStore {
  load(name: string): Promise<bigint | 'start'>;
  save(name: string, position: bigint): Promise<void>;
}

/** For tests and single-process tools: forgets everything on restart. */
export class InMemoryCheckpointStore implements CheckpointStore {
  readonly positions = new Map<string, bigint>();

  async load(name: string): Promise<bigint | 'start'> {
    return this.positions.get(name) ?? 'start';
  }

  async save(name: string, position: bigint): Promise<void> {
    this.positions.set(name, position);
  }
}

/**
 * Checkpoints in Redis under `<prefix>checkpoint:<name>` as a decimal string.
 * A handler that owns its checkpoint (projections) writes it in its own MULTI with `saveIn`,
 * so the read-model change and the checkpoint commit together.
 */
export class RedisCheckpointStore implements CheckpointStore {
  constructor(
    private readonly redis: Redis,
    private readonly options: { prefix?: string } = {},
  ) {}

  key(name: string): string {
    return `${this.options.prefix ?? ''}checkpoint:${name}`;
  }

  async load(name: string): Promise<bigint | 'start'> {
    const value = await this.redis.get(this.key(name));
    return value == null ? 'start' : BigInt(value);
  }

  async save(name: string, position: bigint): Promise<void> {
    await this.redis.set(this.key(name), position.toString());
  }

  /** Queue the checkpoint write on a MULTI/pipeline the caller executes (atomically with its own writes). */
  saveIn<T extends ChainableCommander>(multi: T, name: string, position: bigint): T {
    multi.set(this.key(name), position.toString());
    return multi;
  }
}
