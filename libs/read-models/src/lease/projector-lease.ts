import { randomUUID } from 'node:crypto';
import type Redis from 'ioredis';

export const PROJECTIONS_LEASE_KEY = 'lease:projections';
/** Set by a rebuild to ask the live projector to let go of the lease and wait until it is done. */
export const PROJECTIONS_YIELD_KEY = 'lease:projections:yield';

/**
 * A Redis lease (SET NX PX + token-checked renew/release): the one active writer of the read
 * models holds it. A holder that stops renewing loses it after `ttlMs`.
 */
export class ProjectorLease {
  readonly token: string;

  constructor(
    private readonly redis: Redis,
    readonly options: { key?: string; ttlMs?: number; owner?: string } = {},
  ) {
    this.token = `${options.owner ?? 'projector'}:${randomUUID()}`;
  }

  get key(): string {
    return this.options.key ?? PROJECTIONS_LEASE_KEY;
  }

  get ttlMs(): number {
    return this.options.ttlMs ?? 15_000;
  }

  /** Takes the lease if free (or already ours, renewing it). */
  async tryAcquire(): Promise<boolean> {
    const result = await this.redis.eval(ACQUIRE, 1, this.key, this.token, String(this.ttlMs));
    return result === 1;
  }

  /** Extends the lease if still ours; false when it was lost. */
  async renew(): Promise<boolean> {
    return (await this.redis.eval(RENEW, 1, this.key, this.token, String(this.ttlMs))) === 1;
  }

  async release(): Promise<void> {
    await this.redis.eval(RELEASE, 1, this.key, this.token);
  }

  /** Reads on `connection` (the projector's, so that it runs after its WATCH). */
  async isHeld(connection: Redis = this.redis): Promise<boolean> {
    return (await connection.get(this.key)) === this.token;
  }

  /** Polls until acquired; throws after `timeoutMs`. */
  async acquire(options: { timeoutMs?: number; pollMs?: number; signal?: () => boolean } = {}): Promise<void> {
    const deadline = Date.now() + (options.timeoutMs ?? 60_000);
    for (;;) {
      if (await this.tryAcquire()) return;
      if (Date.now() > deadline) {
        const holder = await this.redis.get(this.key);
        throw new Error(`Could not take ${this.key} within ${options.timeoutMs ?? 60_000} ms (held by ${holder})`);
      }
      await sleep(options.pollMs ?? 100);
    }
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

const ACQUIRE = `local v = redis.call('GET', KEYS[1])
if v == false or v == ARGV[1] then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 1 end
return 0`;
const RENEW = `if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end
return 0`;
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) return 1 end
return 0`;
