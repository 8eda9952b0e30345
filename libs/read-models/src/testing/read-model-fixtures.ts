import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { v4 as uuid } from 'uuid';
import { contactRequestDecider, streamIdFor, userStreamId, type ContactRequestCommand } from '@send/domain';
import { fastPolicy, submitRequest, T0 } from '@send/domain/testing/fixtures';
import { DeciderCommandHandler, readAllToHead, SqliteEventStore, type EventStore, type RecordedEvent } from '@send/event-store';
import { testRedis } from '@send/event-store/testing/test-redis';
import { allProjections } from '../all-projections';
import { PROJECTIONS_NAME } from '../keys';
import { Projector } from '../projector';

/**
 * Test Redis on a database number of the spec's own (the read-model keys are global: rm:*), flushed
 * at start. REDIS_URL when set (npm test), otherwise a private redis-server. Spec files run at once,
 * so each has its own number: 1 cases, 3 telephony, 5 queue entries, 6 paging, 7 and 8 notifications, 9 the rebuild CLI,
 * 10 demo data, 11 projections, 12 the dashboard service, 13 and 14 rebuild, 15 projector batches.
 */
export async function readModelRedis(db: number): Promise<{ redis: Redis; stop(): Promise<void> }> {
  const server = await testRedis();
  const redis = new Redis(server.url, { db, maxRetriesPerRequest: 3 });
  await redis.flushdb();
  return {
    redis,
    stop: async () => {
      await redis.flushdb().catch(() => undefined);
      await redis.quit();
      await server.stop();
    },
  };
}

/** What a read-model spec works with in each test (see readModelTestHooks). */
export interface ReadModelTestWorld {
  redis: Redis;
  store: SqliteEventStore;
  drive: RequestDriver;
  /** Every read model, writing to `redis`. */
  projector: Projector;
  /** Projects the whole store with `projector`. */
  project(): Promise<number>;
}

/**
 * The Jest hooks read-model specs share: the spec's own Redis database (readModelRedis), flushed
 * before each test, and a fresh SQLite store, driver and projector per test, handed to `each`.
 */
export function readModelTestHooks(db: number, each: (world: ReadModelTestWorld) => void): void {
  let handle: Awaited<ReturnType<typeof readModelRedis>> | undefined;
  let dispose: () => Promise<void> = async () => undefined;
  beforeAll(async () => {
    handle = await readModelRedis(db);
  });
  afterAll(() => handle?.stop());
  beforeEach(async () => {
    const redis = handle!.redis;
    await redis.flushdb();
    const temp = tempStore();
    dispose = temp.dispose;
    const projector = new Projector(PROJECTIONS_NAME, redis, allProjections());
    each({ redis, store: temp.store, drive: new RequestDriver(temp.store), projector, project: () => projectAll(temp.store, projector) });
  });
  afterEach(() => dispose());
}

/** A SQLite event store in a temp file. */
export function tempStore(): { store: SqliteEventStore; dispose(): Promise<void> } {
  const dir = mkdtempSync(join(tmpdir(), 'read-models-'));
  const store = new SqliteEventStore({ path: join(dir, 'events.db') });
  return {
    store,
    dispose: async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export type Actor = { id: string; role: string };
export const SYSTEM: Actor = { id: 'system', role: 'system' };

/**
 * Drives realistic request streams through the real decider (fastPolicy: 24/7, first response
 * PT100S, resolution PT1000S, threshold 3, chain ack PT10S/PT30S/PT50S): `at(seconds)` sets the
 * decision time relative to `base` (T0 by default).
 */
export class RequestDriver {
  private seconds = 0;
  constructor(
    readonly store: EventStore,
    private readonly base: string = T0,
  ) {}

  at(seconds: number): this {
    this.seconds = seconds;
    return this;
  }

  get now(): Date {
    return new Date(Date.parse(this.base) + this.seconds * 1000);
  }

  async run(command: ContactRequestCommand, actor: Actor): Promise<RecordedEvent[]> {
    const result = await new DeciderCommandHandler({ store: this.store, decider: contactRequestDecider, streamIdFor }).handle(
      command.requestId,
      command,
      { now: this.now, policy: fastPolicy },
      { metadata: { correlationId: uuid(), actor } },
    );
    return result.events as RecordedEvent[];
  }

  async submit(requestId: string, over: Partial<Parameters<typeof submitRequest>[0]> = {}, n = 1): Promise<RecordedEvent[]> {
    return this.run(
      submitRequest({
        requestId,
        reference: `SEND-2026-${String(n).padStart(6, '0')}`,
        requester: { role: 'parent', name: 'Sam Parent', email: 'sam@example.org', phone: '07700900123', userId: 'parent-user-1' },
        ...over,
      }),
      { id: 'parent-user-1', role: 'parent' },
    );
  }

  attempt(requestId: string, attemptId = uuid()): Promise<RecordedEvent[]> {
    return this.run(
      { type: 'RecordAttempt', requestId, attemptId, channel: 'phone', source: 'portal', escalationId: `esc-${attemptId}` },
      { id: 'parent-user-1', role: 'parent' },
    );
  }

  assign(requestId: string, officerId: string, teamId = 'north'): Promise<RecordedEvent[]> {
    return this.run({ type: 'AssignRequest', requestId, officerId, teamId, by: 'manager-1' }, { id: 'manager-1', role: 'team_manager' });
  }

  respond(requestId: string, officerId = 'officer-1'): Promise<RecordedEvent[]> {
    return this.run(
      { type: 'RecordResponse', requestId, responseId: uuid(), officerId, channel: 'phone', summary: 'Called back.' },
      { id: officerId, role: 'officer' },
    );
  }

  callBackFailed(requestId: string, officerId = 'officer-1'): Promise<RecordedEvent[]> {
    return this.run({ type: 'RecordFailedCallBack', requestId, officerId }, { id: officerId, role: 'officer' });
  }

  resolve(requestId: string): Promise<RecordedEvent[]> {
    return this.run(
      { type: 'ResolveRequest', requestId, by: 'officer-1', outcome: 'answered', withoutReply: { reason: 'withdrawn' } },
      { id: 'officer-1', role: 'officer' },
    );
  }

  reopen(requestId: string): Promise<RecordedEvent[]> {
    return this.run(
      { type: 'ReopenRequest', requestId, by: 'parent-user-1', reason: 'Still waiting' },
      { id: 'parent-user-1', role: 'parent' },
    );
  }

  checkDeadline(requestId: string, clock: 'first_response' | 'resolution'): Promise<RecordedEvent[]> {
    return this.run({ type: 'CheckDeadline', requestId, clock }, SYSTEM);
  }

  acknowledge(requestId: string, escalationId: string): Promise<RecordedEvent[]> {
    return this.run({ type: 'AcknowledgeEscalation', requestId, escalationId, by: 'manager-1' }, { id: 'manager-1', role: 'team_manager' });
  }

  advance(requestId: string, escalationId: string, expectedLevel: number): Promise<RecordedEvent[]> {
    return this.run({ type: 'AdvanceEscalation', requestId, escalationId, expectedLevel }, SYSTEM);
  }

  /** Three unanswered attempts: raises level 1 (repeated_unanswered). Returns the escalation id. */
  async escalate(requestId: string): Promise<string> {
    await this.attempt(requestId);
    await this.attempt(requestId);
    const events = await this.attempt(requestId);
    const raised = events.find((e) => e.type === 'EscalationRaised');
    if (!raised) throw new Error('expected an escalation');
    return (raised.data as { escalationId: string }).escalationId;
  }
}

/** Appends a UserRegistered as apps/api does (stream user-<id>). */
export async function registerUser(
  store: EventStore,
  user: { id: string; name: string; role: string; teamId?: string | null; email?: string },
) {
  await store.append(
    userStreamId(user.id),
    [
      {
        id: uuid(),
        type: 'UserRegistered',
        data: {
          schemaVersion: 1,
          userId: user.id,
          email: user.email ?? `${user.id}@example.org`,
          name: user.name,
          role: user.role,
          teamId: user.teamId ?? null,
          passwordHash: 'secret-hash',
        },
      },
    ],
    { expectedRevision: 'any' },
  );
}

/** Feeds every event of the store (so far) through the projector, as the worker's subscription would. */
export async function projectAll(store: EventStore, projector: Projector): Promise<number> {
  return (await readAllToHead(store, (e) => projector.handle(e))).count;
}

/** Every key of the database with its value, for comparing two read-model states. */
export async function dumpKeys(redis: Redis, pattern = '*'): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  const found = (await redis.keys(pattern)).sort();
  for (const key of found) {
    const type = await redis.type(key);
    if (type === 'string') out[key] = await redis.get(key);
    else if (type === 'list') out[key] = await redis.lrange(key, 0, -1);
    else if (type === 'set') out[key] = (await redis.smembers(key)).sort();
    else if (type === 'zset') out[key] = await redis.zrange(key, 0, -1, 'WITHSCORES');
    else out[key] = type;
  }
  return out;
}

/**
 * Every key of the database (SCAN, not KEYS) with its whole value, whatever its type, as text: what
 * a search for personal data must cover (keys and values, strings, lists, sets, zsets, hashes, streams).
 */
export async function dumpEverything(redis: Redis): Promise<Array<{ key: string; type: string; value: string }>> {
  const out: Array<{ key: string; type: string; value: string }> = [];
  let cursor = '0';
  const found = new Set<string>();
  do {
    const [next, batch] = await redis.scan(cursor, 'COUNT', 1000);
    cursor = next;
    for (const key of batch) found.add(key);
  } while (cursor !== '0');
  for (const key of [...found].sort()) {
    const type = await redis.type(key);
    let value: unknown;
    if (type === 'string') value = await redis.get(key);
    else if (type === 'list') value = await redis.lrange(key, 0, -1);
    else if (type === 'set') value = (await redis.smembers(key)).sort();
    else if (type === 'zset') value = await redis.zrange(key, 0, -1, 'WITHSCORES');
    else if (type === 'hash') value = await redis.hgetall(key);
    else if (type === 'stream') value = await redis.xrange(key, '-', '+');
    else throw new Error(`dumpEverything: key ${key} has type ${type}, which it cannot read`);
    out.push({ key, type, value: typeof value === 'string' ? value : JSON.stringify(value) });
  }
  return out;
}

export async function until(condition: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/**
 * The commands (top level, not those a script runs) that `read` sends on this database, by MONITOR:
 * a marker before and after, so counting waits for the marker rather than for time to pass. With
 * `lua`: the commands its scripts ran instead, each with its arguments.
 */
export async function countCommands(client: Redis, db: number, read: () => Promise<unknown>, lua = false): Promise<string[]> {
  const monitor = await client.monitor(); // its own connection
  const marker = `count-commands-${Math.random()}`;
  const seen: string[] = [];
  let inside = false;
  const done = new Promise<void>((resolve) => {
    monitor.on('monitor', (_time: string, args: string[], source: string, database: string) => {
      if (database !== String(db)) return;
      const command = args[0].toLowerCase();
      if (command === 'echo' && args[1] === `${marker}-start`) inside = true;
      else if (command === 'echo' && args[1] === `${marker}-end`) {
        inside = false;
        resolve();
      } else if (inside && (source === 'lua') === lua) seen.push(lua ? args.join(' ') : command);
    });
  });
  try {
    await client.echo(`${marker}-start`);
    await read();
    await client.echo(`${marker}-end`);
    await done;
  } finally {
    monitor.disconnect();
  }
  return seen;
}
