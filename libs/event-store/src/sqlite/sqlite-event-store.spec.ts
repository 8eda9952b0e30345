import Database from 'better-sqlite3';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { v4 as uuid } from 'uuid';
import { DuplicateEventId, WrongExpectedRevision, type AppendResult, type EventData, type RecordedEvent } from '../event-store.port';
import { SqliteDataKeyStore } from '../personal-data/sqlite-data-key-store';
import { CHECKPOINT_BACKSTOP_PAGES, SQLITE_CACHE_KIB, SqliteEventStore, type CommitObservation } from './sqlite-event-store';
import { appendFromAnotherProcess } from '../testing/another-process';

const ev = (type = 'Happened'): EventData => ({ id: uuid(), type, data: {} });

describe('SqliteEventStore (beyond the contract)', () => {
  let dir: string;
  const stores: SqliteEventStore[] = [];
  const open = (path = join(dir, 'events.sqlite')) => {
    const s = new SqliteEventStore({ path });
    stores.push(s);
    return s;
  };
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'sqlite-event-store-'));
  });
  afterEach(async () => {
    for (const s of stores.splice(0)) await s.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('creates the folder, uses WAL and a busy timeout', () => {
    const path = join(dir, 'a', 'b', 'events.sqlite');
    open(path);
    expect(existsSync(path)).toBe(true);
    const db = new Database(path, { readonly: true });
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    db.close();
  });

  describe('page cache (ADR 0018, 2026-12-02)', () => {
    it('caps the read connection and the writer thread at SQLITE_CACHE_KIB, not the driver default of 16 MB, and keeps FULL', async () => {
      const store = open();
      await store.append('s-1', [ev()], { expectedRevision: 'no_stream' });
      const { read, write } = await store.connectionSettings();
      expect(store.writer).toBe('thread');
      expect(read).toEqual({ cacheSize: -SQLITE_CACHE_KIB, synchronous: 2, busyTimeout: 5000, walAutocheckpoint: 1000 });
      expect(write).toEqual({
        cacheSize: -SQLITE_CACHE_KIB,
        synchronous: 2,
        busyTimeout: 5000,
        walAutocheckpoint: CHECKPOINT_BACKSTOP_PAGES,
      });
    });

    it('applies a given size to both connections of the thread writer, and to the one connection of the inline writer', async () => {
      const thread = new SqliteEventStore({ path: join(dir, 'a.sqlite'), cacheSizeKib: 512, synchronous: 'normal', busyTimeoutMs: 250 });
      const inline = new SqliteEventStore({ path: join(dir, 'b.sqlite'), cacheSizeKib: 768, writer: 'inline' });
      stores.push(thread, inline);
      expect(await thread.connectionSettings()).toEqual({
        read: { cacheSize: -512, synchronous: 1, busyTimeout: 250, walAutocheckpoint: 1000 },
        write: { cacheSize: -512, synchronous: 1, busyTimeout: 250, walAutocheckpoint: CHECKPOINT_BACKSTOP_PAGES },
        checkpointer: { cacheSize: -512, synchronous: 1, busyTimeout: 250, walAutocheckpoint: CHECKPOINT_BACKSTOP_PAGES },
      });
      expect(await inline.connectionSettings()).toEqual({
        read: { cacheSize: -768, synchronous: 2, busyTimeout: 5000, walAutocheckpoint: 1000 },
        write: { cacheSize: -768, synchronous: 2, busyTimeout: 5000, walAutocheckpoint: 1000 },
      });
    });

    it("caps the key store's connection on the same file too", async () => {
      const keys = new SqliteDataKeyStore({ path: join(dir, 'events.sqlite'), secret: 'a secret for this test only, 32+ chars' });
      try {
        // Its connection is its own (no accessor): the pragma is per connection.
        const db = (keys as unknown as { db: Database.Database }).db;
        expect(db.pragma('cache_size', { simple: true })).toBe(-SQLITE_CACHE_KIB);
      } finally {
        await keys.close();
      }
    });
  });

  describe('checkpoints off the commit path (ADR 0018, checkpoints)', () => {
    // ~2 KB an event: 1,500 events fill more than SQLite's 1,000-page autocheckpoint, far less than the backstop.
    const big = (): EventData => ({ id: uuid(), type: 'Happened', data: { text: 'x'.repeat(2000) } });
    const fill = async (store: SqliteEventStore) => {
      for (let i = 0; i < 15; i++)
        await store.append(
          `s-${i}`,
          Array.from({ length: 100 }, () => big()),
          { expectedRevision: 'no_stream' },
        );
    };
    /** The database file's own size: what checkpoints have copied out of the WAL. */
    const fileBytes = (path: string) => statSync(path).size;
    const MB = 1024 * 1024;

    it('a checkpointer thread copies the WAL into the file while commits wait for none below the backstop', async () => {
      const path = join(dir, 'checkpointed.sqlite');
      const store = new SqliteEventStore({ path, checkpointEveryMs: 20 });
      stores.push(store);
      await fill(store);
      const deadline = Date.now() + 10_000;
      while (fileBytes(path) < 2 * MB && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(fileBytes(path)).toBeGreaterThan(2 * MB);
      expect(await store.read('s-14')).toHaveLength(100);
    });

    it('without a tick of the checkpointer, nothing is checkpointed short of the backstop: no commit did it', async () => {
      const path = join(dir, 'waiting.sqlite');
      const store = new SqliteEventStore({ path, checkpointEveryMs: 60_000 });
      stores.push(store);
      await fill(store);
      await new Promise((r) => setTimeout(r, 200));
      expect(fileBytes(path)).toBeLessThan(MB);
      expect(statSync(`${path}-wal`).size).toBeGreaterThan(2 * MB);
    });

    it('checkpointEveryMs 0: no checkpointer, and commits checkpoint at 1,000 pages as SQLite does by default', async () => {
      const path = join(dir, 'in-commits.sqlite');
      const store = new SqliteEventStore({ path, checkpointEveryMs: 0 });
      stores.push(store);
      await fill(store);
      const settings = await store.connectionSettings();
      expect(settings.write.walAutocheckpoint).toBe(1000);
      expect(settings.checkpointer).toBeUndefined();
      expect(fileBytes(path)).toBeGreaterThan(2 * MB);
    });
  });

  it('works in memory', async () => {
    const store = open(':memory:');
    await store.append('s-1', [ev()], { expectedRevision: 'no_stream' });
    expect(await store.read('s-1')).toHaveLength(1);
  });

  it('keeps what it stored across reopening the file', async () => {
    const first = open();
    await first.append('s-1', [ev('A'), ev('B')], { expectedRevision: 'no_stream' });
    await first.close();
    const second = open();
    expect((await second.read('s-1')).map((e) => e.type)).toEqual(['A', 'B']);
    await expect(second.append('s-1', [ev('C')], { expectedRevision: 1n })).resolves.toMatchObject({ nextRevision: 2n, position: 3n });
  });

  describe('event ids', () => {
    it('are unique per store: an id stored in another stream is refused', async () => {
      const store = open();
      const e = ev();
      await store.append('s-1', [e], { expectedRevision: 'no_stream' });
      await expect(store.append('s-2', [e], { expectedRevision: 'no_stream' })).rejects.toBeInstanceOf(DuplicateEventId);
      expect(await store.read('s-2')).toEqual([]);
    });

    it('refuse a partly-overlapping append (some ids stored, some new), storing nothing of it', async () => {
      const store = open();
      const [a, b, c] = [ev(), ev(), ev()];
      await store.append('s-1', [a, b], { expectedRevision: 'no_stream' });
      await expect(store.append('s-1', [a, b, c], { expectedRevision: 'no_stream' })).rejects.toBeInstanceOf(DuplicateEventId);
      await expect(store.append('s-1', [c, a], { expectedRevision: 1n })).rejects.toBeInstanceOf(DuplicateEventId);
      expect((await store.read('s-1')).map((e) => e.id)).toEqual([a.id, b.id]);
    });

    it('refuse the same ids in another order', async () => {
      const store = open();
      const [a, b] = [ev(), ev()];
      await store.append('s-1', [a, b], { expectedRevision: 'no_stream' });
      await expect(store.append('s-1', [b, a], { expectedRevision: 'no_stream' })).rejects.toBeInstanceOf(DuplicateEventId);
    });

    it('refuse the same id twice in one append', async () => {
      const store = open();
      const a = ev();
      await expect(store.append('s-1', [a, a], { expectedRevision: 'no_stream' })).rejects.toBeInstanceOf(DuplicateEventId);
    });

    it('make a retry a no-op whatever revision it expects (the first attempt may have committed)', async () => {
      const store = open();
      const a = ev();
      const first = await store.append('s-1', [a], { expectedRevision: 'no_stream' });
      await store.append('s-1', [ev()], { expectedRevision: 0n });
      await expect(store.append('s-1', [a], { expectedRevision: 'no_stream' })).resolves.toMatchObject({
        nextRevision: 0n,
        position: first.position,
      });
    });
  });

  describe('group commit', () => {
    it('commits appends that arrive together in one transaction, each checked on its own', async () => {
      const store = open();
      await store.append('hot', [ev()], { expectedRevision: 'no_stream' });
      const outcomes = await Promise.allSettled([
        store.append('a', [ev()], { expectedRevision: 'no_stream' }),
        store.append('hot', [ev()], { expectedRevision: 0n }),
        store.append('hot', [ev()], { expectedRevision: 0n }), // loses to its batch-mate
        store.append('hot', [ev()], { expectedRevision: 1n }), // sees its batch-mate, in call order
        store.append('b', [ev(), ev()], { expectedRevision: 'any' }),
      ]);
      expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
      expect((outcomes[2] as PromiseRejectedResult).reason).toBeInstanceOf(WrongExpectedRevision);
      const committed = outcomes.filter((o): o is PromiseFulfilledResult<AppendResult> => o.status === 'fulfilled');
      // One transaction: one recordedAt for the whole batch, consecutive positions.
      const events = committed.flatMap((o) => o.value.events ?? []);
      expect(new Set(events.map((e) => e.recordedAt.toISOString())).size).toBe(1);
      expect(events.map((e) => e.position)).toEqual([2n, 3n, 4n, 5n, 6n]);
      expect((await store.read('hot')).map((e) => e.revision)).toEqual([0n, 1n, 2n]);
    });

    it("a catch-up page gives each event its own commit's time (one read Date for each commit's run of rows)", async () => {
      const store = open();
      const first = await Promise.all([
        store.append('a', [ev(), ev()], { expectedRevision: 'no_stream' }),
        store.append('b', [ev()], { expectedRevision: 'no_stream' }),
      ]);
      await new Promise((resolve) => setTimeout(resolve, 5));
      const second = await store.append('a', [ev()], { expectedRevision: 1n });
      const stored = [...first.flatMap((r) => r.events!), ...second.events!].map((e) => e.recordedAt.toISOString());
      expect(new Set(stored).size).toBe(2);
      // A reader without the shared tail reads its pages itself, as a catch-up does.
      const reader = new SqliteEventStore({ path: join(dir, 'events.sqlite'), tailEvents: 0 });
      stores.push(reader);
      const subscription = reader.subscribeToAll({ from: 'start' });
      const page = (await subscription.nextBatch!(10))!;
      await subscription.close();
      expect(page.map((e) => e.recordedAt.toISOString())).toEqual(stored);
      expect(page[0].recordedAt).toBe(page[2].recordedAt);
      expect(page[3].recordedAt).not.toBe(page[0].recordedAt);
    });

    it('rolls back alone an append that fails after its first insert', async () => {
      const path = join(dir, 'events.sqlite');
      const store = open(path);
      const db = new Database(path);
      db.exec("CREATE TRIGGER boom BEFORE INSERT ON events WHEN NEW.type = 'Boom' BEGIN SELECT RAISE(ABORT, 'disk on fire'); END;");
      db.close();
      const outcomes = await Promise.allSettled([
        store.append('a', [ev()], { expectedRevision: 'no_stream' }),
        store.append('b', [ev('Fine'), ev('Boom')], { expectedRevision: 'no_stream' }),
        store.append('c', [ev()], { expectedRevision: 'no_stream' }),
      ]);
      expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
      expect(String((outcomes[1] as PromiseRejectedResult).reason)).toMatch(/disk on fire/);
      expect(await store.read('b')).toEqual([]);
      expect(await store.read('a')).toHaveLength(1);
      expect(await store.read('c')).toHaveLength(1);
    });

    it('tells its observer what each group commit held, and goes on when the observer throws', async () => {
      const seen: CommitObservation[] = [];
      const store = new SqliteEventStore({
        path: join(dir, 'observed.sqlite'),
        observer: {
          commit: (o) => {
            seen.push(o);
            throw new Error('a broken metrics hook');
          },
        },
      });
      stores.push(store);
      await Promise.all([
        store.append('a', [ev()], { expectedRevision: 'no_stream' }),
        store.append('b', [ev(), ev()], { expectedRevision: 'no_stream' }),
        store.append('a', [ev()], { expectedRevision: 'no_stream' }).catch(() => 'refused'),
      ]);
      await store.append('c', [ev()], { expectedRevision: 'no_stream' });
      expect(seen.map(({ appends, events, committed }) => ({ appends, events, committed }))).toEqual([
        { appends: 3, events: 4, committed: true },
        { appends: 1, events: 1, committed: true },
      ]);
      expect(seen.every((o) => o.ms >= 0)).toBe(true);
      expect(await store.read('b')).toHaveLength(2);
    });

    it('commits what is queued before close() returns', async () => {
      const store = open();
      const pending = store.append('s-1', [ev()], { expectedRevision: 'no_stream' });
      await store.close();
      await expect(pending).resolves.toMatchObject({ nextRevision: 0n });
      await expect(store.append('s-1', [ev()], { expectedRevision: 'any' })).rejects.toThrow(/closed/);
      expect(await open().read('s-1')).toHaveLength(1);
    });
  });

  describe('the writer thread (writer: thread, the default for a file)', () => {
    it('is the default for a file; :memory: commits inline and cannot have a thread', () => {
      expect(open().writer).toBe('thread');
      expect(open(':memory:').writer).toBe('inline');
      expect(() => new SqliteEventStore({ path: ':memory:', writer: 'thread' })).toThrow(/needs a file/);
    });

    it('gives exactly one winner per revision to many callers racing on one stream, from two stores on the file', async () => {
      const path = join(dir, 'race.sqlite');
      const [a, b] = [open(path), open(path)];
      expect([a.writer, b.writer]).toEqual(['thread', 'thread']);
      const won: bigint[] = [];
      let conflicts = 0;
      // Each caller reads the head and appends expecting it, until it has won 5 times.
      const caller = async (store: SqliteEventStore, name: string) => {
        for (let wins = 0; wins < 5;) {
          const events = await store.read('hot');
          const expected = events.length === 0 ? ('no_stream' as const) : events[events.length - 1].revision;
          try {
            const result = await store.append('hot', [{ id: uuid(), type: 'Won', data: { name } }], { expectedRevision: expected });
            expect(result.nextRevision).toBe(expected === 'no_stream' ? 0n : expected + 1n);
            won.push(result.nextRevision);
            wins++;
          } catch (error) {
            expect(error).toBeInstanceOf(WrongExpectedRevision);
            conflicts++;
          }
        }
      };
      await Promise.all(Array.from({ length: 16 }, (_, i) => caller(i % 2 ? a : b, `caller-${i}`)));
      const stored = await a.read('hot');
      expect(stored.map((e) => e.revision)).toEqual(Array.from({ length: 80 }, (_, i) => BigInt(i)));
      expect([...won].sort((x, y) => (x < y ? -1 : 1))).toEqual(stored.map((e) => e.revision));
      expect(conflicts).toBeGreaterThan(0); // they did race
    });

    it('answers an idempotent retry with the stored result, in the same batch and in a later one', async () => {
      const store = open();
      const [x, y] = [ev(), ev()];
      const [first, sameBatch] = await Promise.all([
        store.append('s-1', [x, y], { expectedRevision: 'no_stream' }),
        store.append('s-1', [x, y], { expectedRevision: 'no_stream' }),
      ]);
      const later = await store.append('s-1', [x, y], { expectedRevision: 5n });
      for (const retry of [sameBatch, later]) {
        expect(retry).toMatchObject({ nextRevision: 1n, position: first.position });
        expect(retry.events?.map((e) => e.id)).toEqual([x.id, y.id]);
      }
      expect(await store.read('s-1')).toHaveLength(2);
    });

    it('fails only the bad appends of a batch, each with its own typed error', async () => {
      const path = join(dir, 'events.sqlite');
      const store = open(path);
      const taken = ev();
      await store.append('taken', [taken], { expectedRevision: 'no_stream' });
      const db = new Database(path);
      db.exec("CREATE TRIGGER boom BEFORE INSERT ON events WHEN NEW.type = 'Boom' BEGIN SELECT RAISE(ABORT, 'disk on fire'); END;");
      db.close();
      const outcomes = await Promise.allSettled([
        store.append('ok-1', [ev()], { expectedRevision: 'no_stream' }),
        store.append('taken', [ev()], { expectedRevision: 'no_stream' }), // wrong revision
        store.append('other', [taken], { expectedRevision: 'no_stream' }), // id stored in another stream
        store.append('boom', [ev('Fine'), ev('Boom')], { expectedRevision: 'no_stream' }), // fails after an insert
        store.append('ok-2', [ev(), ev()], { expectedRevision: 'any' }),
      ]);
      expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'rejected', 'rejected', 'fulfilled']);
      const reasons = outcomes.map((o) => (o.status === 'rejected' ? o.reason : null));
      expect(reasons[1]).toBeInstanceOf(WrongExpectedRevision);
      expect(reasons[1]).toMatchObject({ stream: 'taken', expected: 'no_stream', actual: 0n });
      expect(reasons[2]).toBeInstanceOf(DuplicateEventId);
      expect(reasons[2]).toMatchObject({ stream: 'other', eventId: taken.id });
      expect(String(reasons[3])).toMatch(/disk on fire/);
      expect(await store.read('boom')).toEqual([]);
      expect(await store.read('ok-1')).toHaveLength(1);
      expect(await store.read('ok-2')).toHaveLength(2);
    });

    it('close() waits for the batches in flight and queued, then ends the thread', async () => {
      const path = join(dir, 'events.sqlite');
      const store = open(path);
      const pending = Array.from({ length: 300 }, (_, i) => store.append(`s-${i % 7}`, [ev()], { expectedRevision: 'any' }));
      await new Promise((r) => setImmediate(r)); // the first batch is on the thread, the rest queue behind it
      const more = Array.from({ length: 100 }, () => store.append('late', [ev()], { expectedRevision: 'any' }));
      await store.close();
      const results = await Promise.all([...pending, ...more]);
      expect(new Set(results.map((r) => r.position)).size).toBe(400);
      const reopened = open(path);
      expect(await reopened.headPosition()).toBe(400n);
      expect(await reopened.read('late')).toHaveLength(100);
    });

    it('when the thread dies, fails the appends waiting on it with why, refuses new ones at once, and still reads', async () => {
      const store = open();
      await store.append('s-1', [ev()], { expectedRevision: 'no_stream' });
      const inFlight = Array.from({ length: 50 }, () => store.append('s-2', [ev()], { expectedRevision: 'any' }));
      await new Promise((r) => setImmediate(r)); // that batch is on the thread (it may commit before the kill)
      const queued = Array.from({ length: 50 }, () => store.append('s-2', [ev()], { expectedRevision: 'any' }));
      await store.killWriterThread();
      const why = /writer thread exited unexpectedly.*Appends are refused until the process restarts/;
      for (const o of await Promise.allSettled(inFlight)) if (o.status === 'rejected') expect(String(o.reason)).toMatch(why);
      for (const o of await Promise.allSettled(queued)) {
        expect(o.status).toBe('rejected');
        expect(String((o as PromiseRejectedResult).reason)).toMatch(why);
      }
      await expect(store.append('s-3', [ev()], { expectedRevision: 'any' })).rejects.toThrow(/writer thread exited unexpectedly/);
      expect(await store.read('s-1')).toHaveLength(1);
      await store.close(); // and closing does not hang
    });
  });

  it('shares the file with another process: sees its appends live, and both write safely', async () => {
    const path = join(dir, 'shared.sqlite');
    const store = open(path);
    const received: RecordedEvent[] = [];
    const sub = store.subscribeToAll({ from: 'start', filter: { streamPrefixes: ['child-'] } });
    const consuming = (async () => {
      for await (const e of sub) {
        received.push(e);
        if (received.length === 20) break;
      }
    })();
    const child = appendFromAnotherProcess(path, 'child-1', 20, 2);
    // Meanwhile this process writes too, until the child is done: both writers share the file.
    let childDone = false;
    void child.finally(() => (childDone = true)).catch(() => undefined);
    let written = 0;
    while (!childDone) {
      await store.append('parent-1', [ev()], { expectedRevision: 'any' });
      written++;
      await new Promise((r) => setTimeout(r, 1));
    }
    const { stdout } = await child;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      consuming,
      new Promise((_, reject) => (timer = setTimeout(() => reject(new Error('child events not seen within 5 s')), 5000))),
    ]);
    clearTimeout(timer);
    expect(received.map((e) => e.position.toString())).toEqual(stdout.trim().split('\n'));
    expect(await store.read('parent-1')).toHaveLength(written);
  }, 20000);
});
