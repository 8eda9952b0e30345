import type Redis from 'ioredis';
import { RedisCheckpointStore, SubscriptionRunner, type EventStore, type RunnerLogger } from '@send/event-store';
import { keys, PROJECTED_STREAM_PREFIXES, PROJECTIONS_NAME, READ_MODEL_VERSION } from '../keys';
import { dropReadModels } from '../rebuild/rebuild-read-models';
import { allProjections } from '../all-projections';
import { Projector, type Projection } from '../projector';
import { PROJECTIONS_YIELD_KEY, ProjectorLease } from './projector-lease';

export interface ProjectionsRunnerOptions {
  store: EventStore;
  /** Its connection is duplicated: the projector WATCHes the lease on a connection of its own. */
  redis: Redis;
  logger?: RunnerLogger;
  /** Default: every read model (allProjections()). */
  projections?: Projection[];
  /** Lease time to live; renewed every third of it. Default 15 s. */
  leaseTtlMs?: number;
  /** How often a waiting runner retries the lease. Default 1 s. */
  pollMs?: number;
  /** Most events in one batch (catch-up; live events go as they come), applied in MULTIs of the Projector's partSize (500). Default 2000: measured faster than 500 on 1M events (21.6k vs 20.0k events/s) when a batch was one MULTI. */
  maxBatch?: number;
  /** Passed to the SubscriptionRunner (backoff after failures). */
  retry?: { initialMs?: number; maxMs?: number };
}

/**
 * The worker's projections: one active projector across all workers, holding `lease:projections`.
 * While it holds the lease it runs the durable subscription (from the shared checkpoint); when a
 * rebuild asks it to yield (`lease:projections:yield`) or the lease is lost, it stops after the event
 * in flight, lets go, and waits; then it takes the lease again and continues from the checkpoint
 * the rebuild wrote. A standby worker simply waits for the lease.
 */
export class ProjectionsRunner {
  private connection: Redis | null = null;
  private stopping = false;
  private loopDone: Promise<void> | null = null;
  private wake: (() => void) | null = null;
  private holding = false;
  private drainMs = 0;

  constructor(private readonly options: ProjectionsRunnerOptions) {}

  /** True while it holds the lease and projects. */
  get active(): boolean {
    return this.holding;
  }

  async start(): Promise<void> {
    if (this.loopDone) return;
    this.stopping = false;
    this.connection = this.options.redis.duplicate();
    this.loopDone = this.loop(this.connection);
  }

  /**
   * Stops projecting and lets the lease go. With `drainMs`, the projector first projects what the
   * store held when stop was called (bounded by it): a worker stopped after its own last appends
   * leaves read models that include them, not for the next worker to catch up on.
   */
  async stop(options: { drainMs?: number } = {}): Promise<void> {
    this.drainMs = options.drainMs ?? 0;
    this.stopping = true;
    this.wake?.();
    await this.loopDone;
    this.loopDone = null;
    await this.connection?.quit().catch(() => undefined);
    this.connection = null;
  }

  /** Read models of another version (stored by an older release) are dropped and built again from the start. */
  private async upgrade(redis: Redis): Promise<void> {
    const stored = await redis.get(keys.readModelVersion());
    if (stored === String(READ_MODEL_VERSION)) return;
    const hadModels = stored !== null || (await redis.exists(keys.checkpoint(PROJECTIONS_NAME))) === 1;
    if (hadModels) {
      const dropped = await dropReadModels(redis);
      this.options.logger?.info?.(
        `projections: read models of version ${stored ?? 1} dropped (${dropped} keys); projecting version ${READ_MODEL_VERSION} from the start`,
      );
    }
    await redis.set(keys.readModelVersion(), String(READ_MODEL_VERSION));
  }

  private async loop(redis: Redis): Promise<void> {
    const ttlMs = this.options.leaseTtlMs ?? 15_000;
    const pollMs = this.options.pollMs ?? 1000;
    const lease = new ProjectorLease(redis, { ttlMs, owner: 'worker' });
    while (!this.stopping) {
      try {
        if ((await redis.exists(PROJECTIONS_YIELD_KEY)) || !(await lease.tryAcquire())) {
          await this.sleep(pollMs);
          continue;
        }
        this.holding = true;
        await this.upgrade(redis);
        const projector = new Projector(PROJECTIONS_NAME, redis, this.options.projections ?? allProjections(), { lease });
        const runner = new SubscriptionRunner({
          store: this.options.store,
          checkpoints: new RedisCheckpointStore(redis),
          name: projector.name,
          filter: { streamPrefixes: [...PROJECTED_STREAM_PREFIXES] },
          handleBatch: (events) => projector.handleBatch(events),
          maxBatch: this.options.maxBatch ?? 2000,
          readAhead: true,
          checkpointMode: 'handler-owned',
          logger: this.options.logger,
          retry: this.options.retry,
        });
        await runner.start();
        this.options.logger?.info?.('projections: lease taken, projecting');
        try {
          while (!this.stopping) {
            await this.sleep(Math.max(10, Math.floor(ttlMs / 3)));
            if (this.stopping) break;
            if (await redis.exists(PROJECTIONS_YIELD_KEY)) {
              this.options.logger?.info?.('projections: a rebuild asked for the lease; pausing');
              break;
            }
            if (!(await lease.renew())) {
              this.options.logger?.error('projections: lease lost; pausing');
              break;
            }
          }
        } finally {
          await runner.stop({ drainMs: this.stopping ? this.drainMs : 0 });
          await lease.release().catch(() => undefined);
          this.holding = false;
        }
      } catch (error) {
        this.holding = false;
        this.options.logger?.error('projections: lease loop failed; retrying', error);
        await this.sleep(pollMs);
      }
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      const self = this;
      function done() {
        clearTimeout(timer);
        self.wake = null;
        resolve();
      }
      this.wake = done;
    });
  }
}
