import type Redis from 'ioredis';
import { readAllToHead, type EventStore, type RecordedEvent } from '@send/event-store';
import { allProjections } from '../all-projections';
import { keys, PROJECTED_STREAM_PREFIXES, PROJECTIONS_NAME, READ_MODEL_PREFIX, READ_MODEL_VERSION } from '../keys';
import { PROJECTIONS_YIELD_KEY, ProjectorLease } from '../lease/projector-lease';
import { Projector, type Projection } from '../projector';

export interface RebuildProgress {
  phase: 'waiting-for-lease' | 'dropping' | 'replaying' | 'done';
  /** Events replayed so far. */
  events: number;
  /** Position reached, and the head position the rebuild replays up to (null before the replay). */
  position: bigint | null;
  head: bigint | null;
}

export interface RebuildOptions {
  store: EventStore;
  redis: Redis;
  onProgress?: (progress: RebuildProgress) => void;
  projections?: Projection[];
  /** How long to wait for the live projector to let go of the lease. Default 60 s. */
  leaseTimeoutMs?: number;
  leaseTtlMs?: number;
  pollMs?: number;
}

export interface RebuildResult {
  events: number;
  requests: number;
  ms: number;
}

/**
 * Drops every read model (rm:* and the projections checkpoint) and replays the whole store through a Projector with every projection.
 *
 * Coordination with the worker: it asks the live projector to yield (lease:projections:yield), takes
 * lease:projections once the holder let go (or its lease expired), drops, replays, leaves the
 * checkpoint at the last event replayed and releases; the worker's ProjectionsRunner then takes the
 * lease again and continues from that checkpoint. While it runs the api keeps serving: a single
 * request falls back to its event stream, but lists, queues, alerts and the live dashboard are
 * partial until the replay ends.
 */
export async function rebuildReadModels(options: RebuildOptions): Promise<RebuildResult> {
  const { store, redis } = options;
  const started = Date.now();
  const ttlMs = options.leaseTtlMs ?? 15_000;
  const report = (progress: RebuildProgress) => options.onProgress?.(progress);
  // WATCH is per connection: the fenced projector needs one of its own.
  const connection = redis.duplicate();
  const lease = new ProjectorLease(connection, { ttlMs, owner: 'rebuild' });
  const yieldRequest = () => connection.set(PROJECTIONS_YIELD_KEY, lease.token, 'PX', ttlMs * 2);
  let renewal: NodeJS.Timeout | null = null;
  try {
    await yieldRequest();
    report({ phase: 'waiting-for-lease', events: 0, position: null, head: null });
    await lease.acquire({ timeoutMs: options.leaseTimeoutMs ?? 60_000, pollMs: options.pollMs ?? 100 });
    renewal = setInterval(
      () => {
        void Promise.all([lease.renew(), yieldRequest()]).catch(() => undefined);
      },
      Math.max(10, Math.floor(ttlMs / 3)),
    );

    report({ phase: 'dropping', events: 0, position: null, head: null });
    await dropReadModels(connection);
    await connection.set(keys.readModelVersion(), String(READ_MODEL_VERSION));

    const head = await store.headPosition();
    const projector = new Projector(PROJECTIONS_NAME, connection, options.projections ?? allProjections(), { lease });
    let events = 0;
    let lastReport = 0;
    // Replayed in batches (one pipelined read and one MULTI per batch, as the live projector catches up).
    let batch: RecordedEvent[] = [];
    const flush = async () => {
      if (batch.length === 0) return;
      const applying = batch;
      batch = [];
      await projector.handleBatch(applying);
      events += applying.length;
      if (Date.now() - lastReport >= 100) {
        lastReport = Date.now();
        report({ phase: 'replaying', events, position: applying[applying.length - 1].position, head });
      }
    };
    await readAllToHead(
      store,
      async (event) => {
        batch.push(event);
        if (batch.length >= REPLAY_BATCH) await flush();
      },
      { streamPrefixes: PROJECTED_STREAM_PREFIXES },
    );
    await flush();
    // The checkpoint marks the last projected event; events of other streams up to the head are skipped by the live filter anyway.
    const requests = await connection.zcard(keys.allRequests());
    report({ phase: 'done', events, position: head, head });
    return { events, requests, ms: Date.now() - started };
  } finally {
    if (renewal) clearInterval(renewal);
    await lease.release().catch(() => undefined);
    await connection.eval(DEL_IF, 1, PROJECTIONS_YIELD_KEY, lease.token).catch(() => undefined);
    await connection.quit().catch(() => undefined);
  }
}

/** Deletes every rm:* key and the projections checkpoint (SCAN + UNLINK in batches). */
export async function dropReadModels(redis: Redis): Promise<number> {
  let dropped = 0;
  let cursor = '0';
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', `${READ_MODEL_PREFIX}*`, 'COUNT', 1000);
    cursor = next;
    if (found.length > 0) dropped += await redis.unlink(...found);
  } while (cursor !== '0');
  dropped += await redis.unlink(keys.checkpoint(PROJECTIONS_NAME));
  return dropped;
}

/** Events per MULTI while replaying. */
const REPLAY_BATCH = 500;

const DEL_IF = `if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 1`;
