import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { v4 as uuid } from 'uuid';
import type { AllSubscription, RecordedEvent, SubscriptionFilter } from '../event-store.port';
import { SqliteEventStore, type SqliteEventStoreOptions } from './sqlite-event-store';
import { appendFromAnotherProcess } from '../testing/another-process';
import { eventMatch, filterSql } from './sqlite-tail';

/** The filters the worker's subscriptions use, and the edges of the semantics (empty lists, non-ASCII prefixes). */
const FILTERS: (SubscriptionFilter | undefined)[] = [
  undefined,
  {},
  { streamPrefixes: ['req-'] },
  { streamPrefixes: ['req-', 'user-'], eventTypes: ['A', 'C'] },
  { eventTypes: ['B'] },
  { streamPrefixes: ['ré-', '😀'] },
  { streamPrefixes: ['req-1'], eventTypes: ['C'] },
  { streamPrefixes: [] },
  { eventTypes: [] },
  { streamPrefixes: [''] },
];
const STREAMS = ['req-1', 'req-2', 'req-10', 'user-1', 'ré-x', 'r-x', '😀-y', 'other'];
const TYPES = ['A', 'B', 'C'];

describe('SqliteEventStore shared tail (ADR 0024)', () => {
  let dir: string;
  let path: string;
  const stores: SqliteEventStore[] = [];
  const open = (options: Partial<SqliteEventStoreOptions> = {}) => {
    const s = new SqliteEventStore({ path, ...options });
    stores.push(s);
    return s;
  };
  let n = 0;
  /** `count` appends of 1-3 events each, over STREAMS and TYPES, `gapMs` apart. */
  const appendMixed = async (store: SqliteEventStore, count: number, gapMs = 0) => {
    for (let i = 0; i < count; i++) {
      const events = Array.from({ length: 1 + (i % 3) }, () => ({ id: uuid(), type: TYPES[n % 3], data: { n: n++ } }));
      await store.append(STREAMS[(i * 5 + (i >> 2)) % STREAMS.length], events, { expectedRevision: 'any' });
      if (gapMs > 0) await new Promise((r) => setTimeout(r, gapMs));
    }
  };
  /** What SQL with the subscription's filter reads from the file: the answer the tail must give. */
  const bySql = (filter?: SubscriptionFilter) => {
    const db = new Database(path, { readonly: true });
    try {
      const { where, params } = filterSql(filter);
      return db
        .prepare<unknown[], { position: number }>(`SELECT position FROM events WHERE 1${where} ORDER BY position`)
        .all(...params)
        .map((r) => BigInt(r.position));
    } finally {
      db.close();
    }
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'sqlite-tail-'));
    path = join(dir, 'events.sqlite');
    n = 0;
  });
  afterEach(async () => {
    for (const s of stores.splice(0)) await s.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Reads a subscription in the background, in batches of at most `mode` or by iterating, until it is closed. */
  const consume = (sub: AllSubscription, mode: number | 'iterate') => {
    const received: RecordedEvent[] = [];
    const consumer = { received, largestBatch: 0, done: Promise.resolve() };
    consumer.done = (async () => {
      if (mode === 'iterate') for await (const e of sub) received.push(e);
      else
        for (;;) {
          const batch = await sub.nextBatch!(mode);
          if (batch === null) return;
          consumer.largestBatch = Math.max(consumer.largestBatch, batch.length);
          received.push(...batch);
        }
    })();
    return consumer;
  };
  const until = async (check: () => boolean, what: string) => {
    const deadline = Date.now() + 10_000;
    while (!check()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 5));
    }
  };

  it('takes exactly the events the SQL filter takes (eventMatch vs filterSql)', async () => {
    const store = open({ tailEvents: 0 });
    await appendMixed(store, 60);
    const all = bySql();
    const events = await store.read('req-1');
    expect(events.length).toBeGreaterThan(0);
    for (const filter of FILTERS) {
      const match = eventMatch(filter);
      const sub = store.subscribeToAll({ from: 'start' });
      const batch = (await sub.nextBatch!(10_000))!;
      await sub.close();
      expect(batch).toHaveLength(all.length);
      const inJs = batch.filter((e) => !match || match(e.streamId, e.type)).map((e) => e.position);
      expect({ filter, positions: inJs }).toEqual({ filter, positions: bySql(filter) });
    }
    expect(all.length).toBeGreaterThan(100);
  });

  it('serves several subscriptions with different filters from one read, each exactly its events in order, while another instance on the file appends', async () => {
    const reader = open();
    const writer = open();
    await appendMixed(writer, 10);
    const head = await reader.headPosition();
    // Live from the head: everything after it goes through the tail.
    const subs = FILTERS.flatMap((filter) =>
      [500, 1, 7, 'iterate' as const].map((mode) => ({
        filter,
        mode,
        consumer: consume(reader.subscribeToAll({ from: head, filter }), mode),
      })),
    );
    await appendMixed(writer, 150, 1);
    await Promise.all(Array.from({ length: 5 }, () => appendMixed(writer, 40))); // bursts: several appends per batch
    const finalHead = await writer.headPosition();
    for (const { filter, mode, consumer } of subs) {
      const { received } = consumer;
      const expected = bySql(filter).filter((p) => p > head);
      await until(() => received.length >= expected.length, `${JSON.stringify(filter)}: ${expected.length} events`);
      expect({ filter, positions: received.map((e) => e.position) }).toEqual({ filter, positions: expected });
      if (mode !== 'iterate') expect(consumer.largestBatch).toBeLessThanOrEqual(mode);
    }
    expect(subs.find((s) => s.mode === 500 && !s.filter)!.consumer.largestBatch).toBeGreaterThan(1);
    expect(bySql().filter((p) => p > head)).toHaveLength(Number(finalHead - head));
    // Parsed once: the unfiltered and the req- subscriptions were handed the very same objects.
    const unfiltered = new Map(subs[0].consumer.received.map((e) => [e.id, e]));
    const requests = subs.find((s) => s.filter?.streamPrefixes?.[0] === 'req-' && !s.filter.eventTypes)!.consumer.received;
    expect(requests.length).toBeGreaterThan(0);
    for (const e of requests) expect(unfiltered.get(e.id)).toBe(e);
    // Frozen in tests (FREEZE_SHARED_EVENTS): a consumer that mutates one fails here, not in production.
    expect(Object.isFrozen(requests[0].data)).toBe(true);
    expect(reader.tailRange()!.to).toBe(finalHead);
  });

  it('keeps the tail within its bounds, by events and by bytes', async () => {
    const store = open({ tailEvents: 30, pageSize: 10, writer: 'inline' });
    const sub = consume(store.subscribeToAll({ from: 'start' }), 4);
    await appendMixed(store, 100);
    const head = await store.headPosition();
    await until(() => sub.received.length === Number(head), 'every event');
    expect(sub.received.map((e) => e.position)).toEqual(bySql());
    const range = store.tailRange()!;
    expect(range.events).toBeLessThanOrEqual(30);
    expect(range.to).toBe(head);
    // Dense positions here: the range is the events it holds.
    expect(range.to - range.from).toBe(BigInt(range.events));

    const small = new SqliteEventStore({ path: ':memory:', tailBytes: 8 * 1024 });
    stores.push(small);
    const big = consume(small.subscribeToAll({ from: 'start' }), 100);
    for (let i = 0; i < 20; i++)
      await small.append('big', [{ id: uuid(), type: 'Big', data: { text: 'x'.repeat(1000) } }], { expectedRevision: 'any' });
    await until(() => big.received.length === 20, 'the big events');
    expect(small.tailRange()!.events).toBeLessThanOrEqual(4); // ~2 KB each as UTF-16
    expect(big.received.map((e) => (e.data.text as string).length)).toEqual(Array(20).fill(1000));
  });

  it('lets a subscription far behind catch up in pages by itself, without filling or moving the tail', async () => {
    const seed = open({ tailEvents: 0, writer: 'inline' });
    await appendMixed(seed, 1500);
    await seed.close();
    const store = open({ tailEvents: 100, pageSize: 50 });
    const head = await store.headPosition();
    expect(store.tailRange()).toEqual({ from: head, to: head, events: 0 });
    const live = consume(store.subscribeToAll({ from: head, filter: { streamPrefixes: ['req-'] } }), 500);
    const behind = store.subscribeToAll({ from: 'start', filter: { streamPrefixes: ['req-'] } });
    const expected = bySql({ streamPrefixes: ['req-'] });
    const first = await behind.nextBatch!(200);
    expect(first!.map((e) => e.position)).toEqual(expected.slice(0, 200));
    expect(store.tailRange()!.events).toBe(0);
    const rest: RecordedEvent[] = [];
    while (rest.length < expected.length - 200) rest.push(...(await behind.nextBatch!(1000))!);
    expect(rest.map((e) => e.position)).toEqual(expected.slice(200));
    expect(store.tailRange()).toEqual({ from: head, to: head, events: 0 });

    // Live again: both take the new events from the tail, once each.
    await appendMixed(store, 30);
    const liveExpected = bySql({ streamPrefixes: ['req-'] }).filter((p) => p > head);
    const after: RecordedEvent[] = [];
    while (after.length < liveExpected.length) after.push(...(await behind.nextBatch!(1000))!);
    await until(() => live.received.length === liveExpected.length, 'the live events');
    expect(after.map((e) => e.position)).toEqual(liveExpected);
    expect(live.received.map((e) => e.position)).toEqual(liveExpected);
    expect(store.tailRange()!.events).toBeGreaterThan(0);
    await behind.close();
  });

  it('moves the tail to a subscription that read past it, and a subscription left behind reads for itself', async () => {
    const store = open({ tailEvents: 20, pageSize: 10, writer: 'inline' });
    const a = store.subscribeToAll({ from: 'start' });
    await appendMixed(store, 5);
    const firstA = await a.nextBatch!(100);
    const range = store.tailRange()!;
    expect(range.to).toBe(firstA![firstA!.length - 1].position);
    // b starts far ahead of the tail (more than a page): the tail begins again where b is.
    await appendMixed(store, 30);
    const bFrom = (await store.headPosition()) - 2n;
    const b = store.subscribeToAll({ from: bFrom });
    await appendMixed(store, 2);
    const head = await store.headPosition();
    const fromB = await b.nextBatch!(100);
    expect(fromB!.map((e) => e.position)).toEqual(bySql().filter((p) => p > bFrom));
    expect(store.tailRange()).toEqual({ from: bFrom, to: head, events: Number(head - bFrom) });
    // a is behind the new tail: it reads by itself, and misses nothing.
    const restA: RecordedEvent[] = [];
    while (restA.length < Number(head) - firstA!.length) restA.push(...(await a.nextBatch!(7))!);
    expect([...firstA!, ...restA].map((e) => e.position)).toEqual(bySql());
    await Promise.all([a.close(), b.close()]);
  });

  it('hands another instance’s append on at once, not at the next poll (it passes its position on)', async () => {
    const reader = open({ pollIntervalMs: 60_000 });
    const writer = open();
    const subs = [consume(reader.subscribeToAll({ from: 'start' }), 10), consume(reader.subscribeToAll({ from: 'start' }), 'iterate')];
    await new Promise((r) => setTimeout(r, 20)); // both waiting
    for (let i = 1; i <= 3; i++) {
      const started = Date.now();
      await writer.append('s-1', [{ id: uuid(), type: 'A', data: { i } }], { expectedRevision: 'any' });
      await until(() => subs.every((s) => s.received.length === i), `event ${i}`);
      // A subscription left waiting on a stale head would wake only at its 1 s timeout.
      expect(Date.now() - started).toBeLessThan(500);
    }
  });

  it('ends a subscription on close() while the others on the tail go on', async () => {
    const store = open();
    const one = consume(store.subscribeToAll({ from: 'start', filter: { streamPrefixes: ['req-'] } }), 10);
    const two = consume(store.subscribeToAll({ from: 'start' }), 10);
    await appendMixed(store, 10);
    const first = store.readHead();
    await until(() => two.received.length === Number(first), 'all');
    const sub = store.subscribeToAll({ from: 'start' });
    const three = consume(sub, 'iterate');
    await sub.close();
    await three.done;
    await appendMixed(store, 10);
    const head = await store.headPosition();
    await until(() => two.received.length === Number(head), 'all after close');
    await until(() => one.received.length === bySql({ streamPrefixes: ['req-'] }).length, 'req- after close');
    expect(one.received.map((e) => e.position)).toEqual(bySql({ streamPrefixes: ['req-'] }));
  });

  it('sees another process’s appends through the tail, each subscription exactly its own', async () => {
    const store = open();
    const child = consume(store.subscribeToAll({ from: 'start', filter: { streamPrefixes: ['child-'] } }), 50);
    const types = consume(store.subscribeToAll({ from: 'start', filter: { eventTypes: ['FromChild'] } }), 3);
    const mine = consume(store.subscribeToAll({ from: 'start', filter: { streamPrefixes: ['parent-'] } }), 50);
    const running = appendFromAnotherProcess(path, 'child-1', 30, 1);
    let childDone = false;
    void running.finally(() => (childDone = true)).catch(() => undefined);
    let written = 0;
    while (!childDone) {
      await store.append('parent-1', [{ id: uuid(), type: 'FromParent', data: {} }], { expectedRevision: 'any' });
      written++;
      await new Promise((r) => setTimeout(r, 2));
    }
    const { stdout } = await running;
    const childPositions = stdout.trim().split('\n');
    await until(() => child.received.length === 30 && types.received.length === 30 && mine.received.length === written, 'every event');
    expect(child.received.map((e) => e.position.toString())).toEqual(childPositions);
    expect(types.received.map((e) => e.position.toString())).toEqual(childPositions);
    expect(mine.received.map((e) => e.position)).toEqual(bySql({ streamPrefixes: ['parent-'] }));
  }, 20_000);
});
