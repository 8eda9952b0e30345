import Redis from 'ioredis';
import { v4 as uuid } from 'uuid';
import type { EventStore, RecordedEvent } from '../event-store.port';
import { SqliteEventStore } from '../sqlite/sqlite-event-store';
import { testRedis } from '../testing/test-redis';
import { InMemoryCheckpointStore, RedisCheckpointStore, type CheckpointStore } from './checkpoint-store';
import { SubscriptionRunner, type SubscriptionRunnerOptions } from './subscription-runner';

let redisServer: { url: string; stop(): Promise<void> };
let redis: Redis;
beforeAll(async () => {
  redisServer = await testRedis();
  redis = new Redis(redisServer.url, { maxRetriesPerRequest: 3 });
});
afterAll(async () => {
  await redis?.quit();
  await redisServer?.stop();
});

/** A unique key prefix per test: tests share the Redis and never see each other's keys. */
const uniquePrefix = () => `test:${uuid()}:`;
const quietLogger = { error: jest.fn() };

describe('RedisCheckpointStore', () => {
  it('loads start when nothing was saved, then what was saved, under checkpoint:<name>', async () => {
    const prefix = uniquePrefix();
    const checkpoints = new RedisCheckpointStore(redis, { prefix });
    await expect(checkpoints.load('projector')).resolves.toBe('start');
    await checkpoints.save('projector', 12345678901234567890n);
    await expect(checkpoints.load('projector')).resolves.toBe(12345678901234567890n);
    await expect(redis.get(`${prefix}checkpoint:projector`)).resolves.toBe('12345678901234567890');
  });

  it('writes the checkpoint inside the caller’s MULTI', async () => {
    const prefix = uniquePrefix();
    const checkpoints = new RedisCheckpointStore(redis, { prefix });
    await checkpoints.saveIn(redis.multi().set(`${prefix}view`, 'v'), 'p', 7n).exec();
    await expect(checkpoints.load('p')).resolves.toBe(7n);
  });
});

describe('SubscriptionRunner', () => {
  let store: SqliteEventStore;
  const runners: SubscriptionRunner[] = [];
  const runner = (options: Partial<SubscriptionRunnerOptions> & Pick<SubscriptionRunnerOptions, 'handle' | 'checkpoints'>) => {
    const r = new SubscriptionRunner({
      store,
      name: 'consumer',
      filter: { streamPrefixes: ['thing-'] },
      checkpointMode: 'after-handle',
      logger: quietLogger,
      retry: { initialMs: 5, maxMs: 20 },
      ...options,
    });
    runners.push(r);
    return r;
  };
  const append = (n: number, stream = `thing-${uuid()}`) =>
    Promise.all(
      Array.from({ length: n }, (_, i) =>
        store.append(`${stream}-${i % 3}`, [{ id: uuid(), type: 'Happened', data: { i } }], { expectedRevision: 'any' }),
      ),
    );

  beforeEach(() => {
    store = new SqliteEventStore({ path: ':memory:' });
    quietLogger.error.mockClear();
  });
  afterEach(async () => {
    await Promise.all(runners.splice(0).map((r) => r.stop()));
    await store.close();
  });

  it('hands every event to the handler in order and saves its checkpoint; resumed, it neither repeats nor misses', async () => {
    const checkpoints = new RedisCheckpointStore(redis, { prefix: uniquePrefix() });
    const seen: bigint[] = [];
    await append(5);
    const first = runner({ checkpoints, handle: async (e) => void seen.push(e.position) });
    await first.start();
    await until(() => seen.length === 5);
    await append(3);
    await until(() => seen.length === 8);
    await first.stop();
    await expect(checkpoints.load('consumer')).resolves.toBe(seen[7]);

    await append(4); // while it is down
    const second = runner({ checkpoints, handle: async (e) => void seen.push(e.position) });
    await second.start();
    await until(() => seen.length === 12);
    await append(1); // live
    await until(() => seen.length === 13);
    const all = (await allEvents(store)).map((e) => e.position);
    expect(seen).toEqual(all);
  });

  it('restoreCheckpoint writes again a checkpoint Redis lost while it ran, so a restart does not begin from the start', async () => {
    const checkpoints = new InMemoryCheckpointStore();
    const seen: bigint[] = [];
    await append(3);
    const r = runner({ checkpoints, handle: async (e) => void seen.push(e.position) });
    await r.start();
    await until(() => seen.length === 3);
    await expect(r.restoreCheckpoint()).resolves.toBe(false); // kept: nothing to do
    checkpoints.positions.clear(); // Redis flushed
    await expect(r.restoreCheckpoint()).resolves.toBe(true);
    await expect(checkpoints.load('consumer')).resolves.toBe(seen[2]);

    const owned = runner({ name: 'projector', checkpoints, checkpointMode: 'handler-owned', handle: async () => undefined });
    await owned.start();
    await until(() => owned.checkpoint !== 'start');
    await expect(owned.restoreCheckpoint()).resolves.toBe(false); // its checkpoint goes with its data: never restored alone
    expect(checkpoints.positions.has('projector')).toBe(false);
  });

  it('retries a failing handler with backoff and never skips the event', async () => {
    const checkpoints = new InMemoryCheckpointStore();
    await append(3);
    const events = await allEvents(store);
    const seen: bigint[] = [];
    let failures = 0;
    const r = runner({
      checkpoints,
      handle: async (e) => {
        if (e.position === events[1].position && failures < 3) {
          failures++;
          throw new Error('read model unavailable');
        }
        seen.push(e.position);
      },
    });
    await r.start();
    await until(() => seen.length === 3);
    expect(seen).toEqual(events.map((e) => e.position));
    expect(failures).toBe(3);
    expect(quietLogger.error).toHaveBeenCalledTimes(3);
    expect(r.lastError).toBeNull();
  });

  it('stop() waits for the handler in flight and checkpoints it', async () => {
    const checkpoints = new InMemoryCheckpointStore();
    await append(1);
    let finished = false;
    let started!: () => void;
    const running = new Promise<void>((r) => (started = r));
    const r = runner({
      checkpoints,
      handle: async () => {
        started();
        await sleep(100);
        finished = true;
      },
    });
    await r.start();
    await running;
    await r.stop();
    expect(finished).toBe(true);
    expect(await checkpoints.load('consumer')).toBe((await allEvents(store))[0].position);
  });

  it('delivers again, after a crash, an event whose checkpoint was not saved (at-least-once)', async () => {
    const saved = new InMemoryCheckpointStore();
    const crashing: CheckpointStore = { load: (n) => saved.load(n), save: async () => Promise.reject(new Error('process died')) };
    const seen: bigint[] = [];
    await append(2);
    const first = runner({ checkpoints: crashing, handle: async (e) => void seen.push(e.position) });
    await first.start();
    await until(() => seen.length === 1);
    await first.stop(); // "crash": handled, never checkpointed
    const second = runner({ checkpoints: saved, handle: async (e) => void seen.push(e.position) });
    await second.start();
    await until(() => seen.length === 3);
    expect(seen[0]).toBe(seen[1]);
  });

  it("in 'handler-owned' mode applies each event exactly once even when restarted", async () => {
    const prefix = uniquePrefix();
    const checkpoints = new RedisCheckpointStore(redis, { prefix });
    // A projection: its change and its checkpoint in one MULTI.
    const project = async (e: RecordedEvent) => {
      await checkpoints.saveIn(redis.multi().rpush(`${prefix}applied`, e.id), 'projection', e.position).exec();
    };
    await append(6);
    const first = runner({ name: 'projection', checkpointMode: 'handler-owned', checkpoints, handle: project });
    await first.start();
    await until(async () => (await redis.llen(`${prefix}applied`)) >= 3);
    await first.stop();
    await append(4);
    const second = runner({ name: 'projection', checkpointMode: 'handler-owned', checkpoints, handle: project });
    await second.start();
    await until(async () => (await redis.llen(`${prefix}applied`)) === 10);
    await sleep(50);
    const ids = (await allEvents(store)).map((e) => e.id);
    expect(await redis.lrange(`${prefix}applied`, 0, -1)).toEqual(ids);
  });

  it('resubscribes when the subscription itself fails', async () => {
    const checkpoints = new InMemoryCheckpointStore();
    await append(2);
    let broken = 1;
    const flaky: EventStore = Object.create(store);
    flaky.subscribeToAll = (options) => {
      if (broken-- > 0) {
        return {
          close: async () => undefined,
          [Symbol.asyncIterator]: () => ({ next: () => Promise.reject(new Error('connection reset')) }),
        };
      }
      return store.subscribeToAll(options);
    };
    const seen: bigint[] = [];
    const r = runner({ store: flaky, checkpoints, handle: async (e) => void seen.push(e.position) });
    await r.start();
    await until(() => seen.length === 2);
    expect(quietLogger.error).toHaveBeenCalledTimes(1);
  });
});

describe.each([false, true])('SubscriptionRunner with handleBatch (readAhead: %s)', (readAhead) => {
  let store: SqliteEventStore;
  const runners: SubscriptionRunner[] = [];
  const runner = (options: Partial<SubscriptionRunnerOptions> & Pick<SubscriptionRunnerOptions, 'checkpoints'>) => {
    const r = new SubscriptionRunner({
      store,
      name: 'batched',
      filter: { streamPrefixes: ['thing-'] },
      checkpointMode: 'after-handle',
      logger: quietLogger,
      retry: { initialMs: 5, maxMs: 20 },
      readAhead,
      ...options,
    });
    runners.push(r);
    return r;
  };
  const append = (n: number) =>
    Promise.all(
      Array.from({ length: n }, (_, i) =>
        store.append(`thing-${uuid()}`, [{ id: uuid(), type: 'Happened', data: { i } }], { expectedRevision: 'any' }),
      ),
    );

  beforeEach(() => {
    store = new SqliteEventStore({ path: ':memory:', pageSize: 7 });
    quietLogger.error.mockClear();
  });
  afterEach(async () => {
    await Promise.all(runners.splice(0).map((r) => r.stop()));
    await store.close();
  });

  it('catches up in batches of at most maxBatch (across pages), then hands live events on as they come, in order, once', async () => {
    const checkpoints = new InMemoryCheckpointStore();
    await append(45);
    const batches: bigint[][] = [];
    const r = runner({ checkpoints, maxBatch: 20, handleBatch: async (events) => void batches.push(events.map((e) => e.position)) });
    await r.start();
    await until(() => batches.flat().length === 45);
    expect(batches.map((b) => b.length)).toEqual([20, 20, 5]);
    await append(1);
    await until(() => batches.flat().length === 46);
    expect(batches[batches.length - 1]).toHaveLength(1);
    expect(batches.flat()).toEqual((await allEvents(store)).map((e) => e.position));
    await until(async () => (await checkpoints.load('batched')) === batches.flat()[45]);
  });

  it('hands one batch at a time: the next only once the one before is handled, while events keep coming', async () => {
    const checkpoints = new InMemoryCheckpointStore();
    await append(30);
    const seen: bigint[] = [];
    let inFlight = 0;
    let overlapped = false;
    const r = runner({
      checkpoints,
      maxBatch: 8,
      handleBatch: async (events) => {
        overlapped ||= ++inFlight > 1;
        await sleep(5); // the handler's own I/O: a read ahead happens now
        seen.push(...events.map((e) => e.position));
        inFlight--;
      },
    });
    await r.start();
    await append(5); // while it catches up
    await until(() => seen.length === 35);
    expect(overlapped).toBe(false);
    expect(seen).toEqual((await allEvents(store)).map((e) => e.position));
  });

  it('retries a failed batch whole and never skips or repeats an event', async () => {
    const checkpoints = new InMemoryCheckpointStore();
    await append(10);
    const seen: bigint[] = [];
    let failures = 0;
    const r = runner({
      checkpoints,
      maxBatch: 4,
      handleBatch: async (events) => {
        if (seen.length === 4 && failures < 2) {
          failures++;
          throw new Error('read model unavailable');
        }
        seen.push(...events.map((e) => e.position));
      },
    });
    await r.start();
    await until(() => seen.length === 10);
    expect(seen).toEqual((await allEvents(store)).map((e) => e.position));
    expect(failures).toBe(2);
    expect(quietLogger.error).toHaveBeenCalledTimes(2);
  });

  it('stop() waits for the batch in flight and resumes after it', async () => {
    const checkpoints = new InMemoryCheckpointStore();
    await append(6);
    const seen: bigint[] = [];
    let started!: () => void;
    const running = new Promise<void>((resolve) => (started = resolve));
    const first = runner({
      checkpoints,
      maxBatch: 4,
      handleBatch: async (events) => {
        started();
        await sleep(50);
        seen.push(...events.map((e) => e.position));
      },
    });
    await first.start();
    await running;
    await first.stop();
    expect(seen).toHaveLength(4);
    expect(await checkpoints.load('batched')).toBe(seen[3]);
    const second = runner({ checkpoints, handleBatch: async (events) => void seen.push(...events.map((e) => e.position)) });
    await second.start();
    await until(() => seen.length === 6);
    expect(seen).toEqual((await allEvents(store)).map((e) => e.position));
  });

  it('stop({ drainMs }) first hands on everything stored when it was called, though the last events are not of its filter', async () => {
    const checkpoints = new InMemoryCheckpointStore();
    const seen: bigint[] = [];
    const r = runner({
      checkpoints,
      maxBatch: 4,
      handleBatch: async (events) => {
        await sleep(20); // slow enough that a plain stop() would leave most of them
        seen.push(...events.map((e) => e.position));
      },
    });
    await r.start();
    await append(30);
    await store.append(`other-${uuid()}`, [{ id: uuid(), type: 'Skipped', data: {} }], { expectedRevision: 'any' });
    const started = Date.now();
    await r.stop({ drainMs: 5000 });
    expect(seen).toEqual((await allEvents(store)).filter((e) => e.streamId.startsWith('thing-')).map((e) => e.position));
    expect(Date.now() - started).toBeLessThan(4000); // it saw the store was quiet, not waited for the bound
  });

  it('stop({ drainMs }) gives up at the bound while a handler cannot keep up', async () => {
    const checkpoints = new InMemoryCheckpointStore();
    const seen: bigint[] = [];
    const r = runner({
      checkpoints,
      maxBatch: 1,
      handleBatch: async (events) => void (await sleep(50), seen.push(...events.map((e) => e.position))),
    });
    await r.start();
    await append(40);
    await r.stop({ drainMs: 300 });
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.length).toBeLessThan(40);
  });
});

/** Every event of the store so far, in global order. */
async function allEvents(store: SqliteEventStore): Promise<RecordedEvent[]> {
  const head = store.readHead();
  const events: RecordedEvent[] = [];
  if (head === 0n) return events;
  for await (const e of store.subscribeToAll({ from: 'start' })) {
    events.push(e);
    if (e.position >= head) break;
  }
  return events;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

describe('SubscriptionRunner with store checkpoints (KurrentDB filtered subscriptions)', () => {
  /** A store whose one subscription the test drives: events to hand over, checkpoints to report. */
  function scriptedStore() {
    const queue: RecordedEvent[] = [];
    let wake: (() => void) | null = null;
    let closed = false;
    const script = {
      from: [] as (bigint | 'start')[],
      onCheckpoint: null as ((position: bigint) => Promise<void> | void) | null,
      push(position: bigint) {
        queue.push({
          id: uuid(),
          streamId: 'thing-1',
          type: 'Happened',
          revision: 0n,
          position,
          data: {},
          metadata: {},
          recordedAt: new Date(),
        });
        wake?.();
      },
    };
    const store = {
      subscribeToAll: (options: Parameters<EventStore['subscribeToAll']>[0]) => {
        script.from.push(options.from);
        script.onCheckpoint = options.onCheckpoint ?? null;
        closed = false;
        return {
          close: async () => {
            closed = true;
            wake?.();
          },
          [Symbol.asyncIterator]: () => ({
            next: async (): Promise<IteratorResult<RecordedEvent>> => {
              while (queue.length === 0 && !closed) await new Promise<void>((r) => (wake = r));
              return closed ? { done: true, value: undefined } : { done: false, value: queue.shift()! };
            },
            return: async () => ({ done: true as const, value: undefined }),
          }),
        };
      },
    } as unknown as EventStore;
    return { store, script };
  }

  it.each(['one by one', 'in batches'])(
    'saves a store checkpoint only once every event handed over before it is handled (%s), and resumes from it',
    async (mode) => {
      const { store, script } = scriptedStore();
      const checkpoints = new InMemoryCheckpointStore();
      let release!: () => void;
      const handled: bigint[] = [];
      const work = async (positions: bigint[]) => {
        if (positions.includes(10n)) await new Promise<void>((r) => (release = r));
        handled.push(...positions);
      };
      const options = {
        store,
        checkpoints,
        name: 'sparse',
        checkpointMode: 'after-handle' as const,
        logger: quietLogger,
        ...(mode === 'one by one'
          ? { handle: (e: RecordedEvent) => work([e.position]) }
          : { handleBatch: (es: RecordedEvent[]) => work(es.map((e) => e.position)) }),
      };
      const runner = new SubscriptionRunner(options);
      await runner.start();
      script.push(10n);
      await until(() => release !== undefined);
      // In batches the runner reads ahead: 20 is handed over while 10 is being handled. (One by one,
      // the store hands nothing more over before 10 is handled, so it reports no checkpoint past it.)
      const last = mode === 'in batches' ? 20n : 10n;
      if (last === 20n) script.push(20n);
      await sleep(20);
      await script.onCheckpoint!(500n);
      expect(checkpoints.positions.get('sparse')).toBeUndefined();
      release();
      await until(() => handled.includes(last));
      await until(() => checkpoints.positions.get('sparse') === 500n);
      await runner.stop();

      const again = new SubscriptionRunner(options);
      await again.start();
      await again.stop();
      expect(script.from).toEqual(['start', 500n]);
    },
  );
});

async function until(condition: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await sleep(5);
  }
}
