/** Shared by the scheduling specs: a real SQLite store per test, a real Redis, tiny 24/7 policies. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { v4 as uuid } from 'uuid';
import { contactRequestDecider, streamIdFor, type ContactRequestCommand } from '@send/domain';
import { fastPolicyInput } from '@send/domain/testing/fixtures';
import { DeciderCommandHandler, SqliteEventStore, type RecordedEvent } from '@send/event-store';
import { validatePolicy, type Policy } from '@send/sla';
import { testRedis } from '@send/event-store/testing/test-redis';
import IORedis, { type Redis } from 'ioredis';
import { TimerQueue } from '../timers/timer-queue';

/**
 * 24/7, no holidays. Normal requests: first response in 60 s (no timer fires during a test unless
 * asked); urgent ones: 1 s. Level 1 must be acknowledged within 2 s, then answered within 2 s.
 */
export const testPolicy: Policy = validatePolicy(
  {
    ...fastPolicyInput,
    sla: { default: { firstResponse: 'PT60S', resolution: 'PT120S' }, urgent: { firstResponse: 'PT1S', resolution: 'PT120S' } },
    escalation: {
      chain: [
        { role: 'team_manager', ackWithin: 'PT2S', respondWithin: 'PT2S' },
        { role: 'service_manager', ackWithin: 'PT60S', respondWithin: 'PT60S' },
        { role: 'head_of_service', ackWithin: 'PT60S', respondWithin: 'PT60S' },
      ],
    },
  },
  'testPolicy',
);

export const quietLogger = { log: () => undefined, warn: () => undefined, error: jest.fn() };

export interface TestStore {
  store: SqliteEventStore;
  cleanup(): Promise<void>;
}

export function openStore(): TestStore {
  const dir = mkdtempSync(join(tmpdir(), 'scheduling-'));
  const store = new SqliteEventStore({ path: join(dir, 'events.sqlite') });
  return {
    store,
    cleanup: async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A unique BullMQ / checkpoint prefix per test: the Redis may be shared with other test files. */
export const uniquePrefix = (): string => `test-scheduling-${uuid().slice(0, 8)}`;

export async function command(store: SqliteEventStore, cmd: ContactRequestCommand, now: Date = new Date()): Promise<RecordedEvent[]> {
  const result = await new DeciderCommandHandler({ store, decider: contactRequestDecider, streamIdFor }).handle(
    cmd.requestId,
    cmd,
    { now, policy: testPolicy },
    { metadata: { correlationId: 'test', actor: { id: 'test', role: 'system' } } },
  );
  return result.events;
}

/** Resolves a request without a reply (the family withdrew it): its timers are no longer wanted. */
export const withdraw = (store: SqliteEventStore, requestId: string): Promise<RecordedEvent[]> =>
  command(store, { type: 'ResolveRequest', requestId, by: 'officer-1', outcome: 'answered', withoutReply: { reason: 'withdrawn' } });

export async function submit(store: SqliteEventStore, over: { priority?: 'normal' | 'urgent'; now?: Date } = {}): Promise<string> {
  const requestId = uuid();
  await command(
    store,
    {
      type: 'SubmitRequest',
      requestId,
      reference: `SEND-2026-${requestId.slice(0, 6)}`,
      caseRef: 'CASE-1',
      requester: { role: 'parent', name: 'Sam Parent', email: 'sam@example.org' },
      channel: 'portal',
      category: 'ehc_assessment',
      priority: over.priority ?? 'normal',
      subject: 'Assessment',
      message: 'Still waiting.',
    },
    over.now,
  );
  return requestId;
}

export async function typesOf(store: SqliteEventStore, requestId: string): Promise<string[]> {
  return (await store.read(streamIdFor(requestId))).map((e) => e.type);
}

export const count = (types: string[], type: string): number => types.filter((t) => t === type).length;

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls until `condition` holds; fails with `what` after `timeoutMs`. */
export async function until(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await sleep(25);
  }
}

/** What every timers spec works against; its fields are replaced before each test. */
export interface TimersFixture {
  redisUrl: string;
  connection: Redis;
  t: TestStore;
  prefix: string;
  queue: TimerQueue;
  /** Run in reverse order after each test, before the queue is obliterated. */
  closers: (() => Promise<unknown>)[];
}

/**
 * Registers the hooks of a timers spec file: one Redis for the file; a fresh SQLite store, key
 * prefix and TimerQueue for each test; closers, queue and store cleaned up after each test.
 */
export function timersFixture(): TimersFixture {
  const f = { closers: [] as (() => Promise<unknown>)[] } as TimersFixture;
  let redisServer: { url: string; stop(): Promise<void> };
  beforeAll(async () => {
    redisServer = await testRedis();
    f.redisUrl = redisServer.url;
    f.connection = new IORedis(redisServer.url, { maxRetriesPerRequest: null });
  });
  afterAll(async () => {
    await f.connection.quit();
    await redisServer.stop();
  });
  beforeEach(() => {
    f.t = openStore();
    f.prefix = uniquePrefix();
    f.queue = new TimerQueue({ connection: f.connection, prefix: f.prefix, backoffMs: 20 });
    quietLogger.error.mockClear();
  });
  afterEach(async () => {
    for (const close of f.closers.splice(0).reverse()) await close();
    await f.queue.queue.obliterate({ force: true });
    await f.queue.close();
    await f.t.cleanup();
  });
  return f;
}
