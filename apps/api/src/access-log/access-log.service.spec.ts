import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SQLITE_CACHE_KIB } from '@send/event-store';
import { AppMetrics, Clock } from '@send/platform';
import type { AuthUser, Role } from '../auth/roles';
import type { AccessLogEntry, AccessLogStore, ReadContext } from './access-log.port';
import { AccessLog, FLUSH_EVERY_MS, HIGH_WATER, MAX_BATCH, MAX_PENDING, requestRead, type ReadItem } from './access-log.service';
import { SqliteAccessLogStore } from './sqlite-access-log-store';

class SetClock extends Clock {
  constructor(public at = new Date('2026-12-01T10:00:00Z')) {
    super();
  }
  now(): Date {
    return this.at;
  }
}

const user = (role: Role, id = `${role}-1`, teamId: string | null = null): AuthUser => ({
  id,
  email: `${id}@example.org`,
  name: id,
  role,
  teamId,
});
const officer = user('officer', 'officer-1', 'north');
const request = (id: string, caseRef: string | null = 'C-1001', teamId: string | null = 'north'): ReadItem =>
  requestRead('request', { id, caseRef, teamId });
const DIRECT: ReadContext = { context: 'direct', via: 'api' };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A store that counts its batches, refuses them while `failing` is set, and holds them at a gate while one is set. */
class ObservedStore implements AccessLogStore {
  batches: AccessLogEntry[][] = [];
  failing = false;
  closed = false;
  /** While set, each batch waits for it (a store slower than the reads), then is written or refused as `failing` says then. */
  gate: Promise<void> | null = null;
  constructor(private readonly inner: AccessLogStore) {}
  /** Holds every batch until the returned function is called. */
  hold(): () => void {
    let open!: () => void;
    this.gate = new Promise((resolve) => (open = resolve));
    return () => {
      this.gate = null;
      open();
    };
  }
  async append(entries: readonly AccessLogEntry[]): Promise<void> {
    if (this.gate) await this.gate;
    if (this.failing) throw new Error('disk full');
    this.batches.push([...entries]);
    await this.inner.append(entries);
  }
  query: AccessLogStore['query'] = (filter, page) => this.inner.query(filter, page);
  async close(): Promise<void> {
    this.closed = true;
    await this.inner.close();
  }
}

describe('AccessLog (batched, on SQLite)', () => {
  let dir: string;
  let path: string;
  let store: ObservedStore;
  let clock: SetClock;
  let metrics: AppMetrics;
  let log: AccessLog;
  const metric = async (name: string) => (await metrics.registry.getSingleMetric(name)!.get()).values[0]?.value ?? 0;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'access-log-'));
    path = join(dir, 'access-log.db');
    store = new ObservedStore(new SqliteAccessLogStore(path));
    clock = new SetClock();
    metrics = new AppMetrics('api');
    log = new AccessLog(store, clock, metrics);
  });
  afterEach(async () => {
    await log.close(); // again after a test that closed it: nothing left to write, the store already closed
    rmSync(dir, { recursive: true, force: true });
  });

  it("bounds its connection's page cache as the event store's (ADR 0018, 2026-12-02), not at the driver's 16 MB", async () => {
    const own = new SqliteAccessLogStore(join(dir, 'other.db'));
    try {
      // The pragma is per connection, and the store's connection is its own (no accessor).
      const db = (own as unknown as { db: Database.Database }).db;
      expect(db.pragma('cache_size', { simple: true })).toBe(-SQLITE_CACHE_KIB);
    } finally {
      await own.close();
    }
  });

  it('answers at once and writes a burst of reads in one batch a few milliseconds later', async () => {
    for (let i = 0; i < 50; i++) log.recordReads(officer, [request(`r-${i}`)], DIRECT);
    expect(store.batches).toHaveLength(0); // nothing written while the reads are answered
    await sleep(FLUSH_EVERY_MS * 10);
    expect(store.batches.map((b) => b.length)).toEqual([50]); // sent by the timer
    await log.flush(); // waits for that batch's commit (on the writer thread, which may still be starting)
    expect(store.batches).toHaveLength(1);
    expect(await metric('send_access_log_entries_total')).toBe(50);
    expect(await metric('send_access_log_pending')).toBe(0);
  });

  it('records staff (administrators included), never a family, a school or the system', async () => {
    for (const role of ['parent', 'school', 'professional', 'dpo'] as const) log.recordReads(user(role), [request('r-1')], DIRECT);
    log.recordReads({ ...user('admin'), role: 'system' }, [request('r-1')], DIRECT);
    log.recordReads(user('admin'), [{ what: 'case', id: 'C-1001', caseRef: 'C-1001', teamId: 'north' }], DIRECT);
    log.recordReads(officer, [request('r-1')], { context: 'queue', via: 'page' });
    const { items } = await log.query({}, { limit: 10 });
    // Newest first (the same instant: the later recorded first).
    expect(items.map((e) => [e.role, e.what, e.context, e.via])).toEqual([
      ['officer', 'request', 'queue', 'page'],
      ['admin', 'case', 'direct', 'api'],
    ]);
    expect(items[0]).toEqual({
      at: clock.at,
      userId: 'officer-1',
      role: 'officer',
      what: 'request',
      id: 'r-1',
      caseRef: 'C-1001',
      teamId: 'north',
      context: 'queue',
      via: 'page',
    });
  });

  it('writes what is waiting on close, and the file keeps it', async () => {
    log.recordReads(officer, [request('r-1'), request('r-2')], DIRECT);
    await log.close();
    expect(store.closed).toBe(true);
    const reopened = new SqliteAccessLogStore(path);
    expect((await reopened.query({}, { limit: 10 })).items.map((e) => e.id).sort()).toEqual(['r-1', 'r-2']);
    await reopened.close();
  });

  it('keeps a batch the store refused, counts the failure and writes it once the store is back', async () => {
    store.failing = true;
    log.recordReads(officer, [request('r-1')], DIRECT);
    await log.flush();
    expect(await metric('send_access_log_write_failures_total')).toBe(1);
    expect(await metric('send_access_log_pending')).toBe(1);
    store.failing = false;
    log.recordReads(officer, [request('r-2')], DIRECT);
    await log.flush();
    expect(store.batches.map((b) => b.map((e) => e.id))).toEqual([['r-1', 'r-2']]);
    expect(await metric('send_access_log_entries_total')).toBe(2);
  });

  it('keeps at most MAX_PENDING reads while the store refuses them, dropping the oldest (counted lost)', async () => {
    store.failing = true;
    for (let i = 0; i < MAX_PENDING + 10; i++) log.recordReads(officer, [request(`r-${i}`)], DIRECT);
    await log.flush();
    expect(await metric('send_access_log_pending')).toBe(MAX_PENDING);
    expect(await metric('send_access_log_lost_entries_total')).toBe(10);
    store.failing = false;
    await log.flush();
    expect(
      store.batches
        .flat()
        .map((e) => e.id)
        .slice(0, 1),
    ).toEqual(['r-10']);
    expect(await metric('send_access_log_entries_total')).toBe(MAX_PENDING);
  });

  describe('reads faster than the store commits them', () => {
    /** A page of `n` reads, ids from `from`. */
    const page = (from: number, n = 100) => Array.from({ length: n }, (_, i) => request(`r-${from + i}`));
    /** Records pages until HIGH_WATER reads wait; answers the promise the read that reached it was given, the ones before it given none. */
    const fillToHighWater = () => {
      const answers: Array<Promise<void> | undefined> = [];
      for (let i = 0; i * 100 < HIGH_WATER; i++) answers.push(log.recordReads(officer, page(i * 100), DIRECT));
      expect(answers.slice(0, -1).every((a) => a === undefined)).toBe(true);
      expect(answers.at(-1)).toBeInstanceOf(Promise);
      return answers.at(-1)!;
    };
    const settled = (p: Promise<void>) => {
      let done = false;
      void p.then(() => (done = true));
      return () => done;
    };

    it('the read that brings HIGH_WATER waiting is answered once the log caught up, and nothing is dropped', async () => {
      const open = store.hold();
      const waited = settled(fillToHighWater());
      await sleep(FLUSH_EVERY_MS * 10);
      expect(waited()).toBe(false); // the store has not taken a batch yet
      expect(log.recordReads(officer, page(HIGH_WATER), DIRECT)).toBeInstanceOf(Promise); // so does the next
      open();
      await log.flush();
      expect(waited()).toBe(true);
      expect(await metric('send_access_log_lost_entries_total')).toBe(0);
      expect(await metric('send_access_log_entries_total')).toBe(HIGH_WATER + 100);
      // In order, and never more than MAX_BATCH reads in one write.
      expect(store.batches.every((b) => b.length <= MAX_BATCH)).toBe(true);
      expect(store.batches.flat().map((e) => e.id)).toEqual(page(0, HIGH_WATER + 100).map((r) => r.id));
      expect(log.recordReads(officer, page(0), DIRECT)).toBeUndefined(); // caught up: answered at once again
    });

    it('a store that refuses does not hold the reads: those waiting go on, and later ones do not wait', async () => {
      const open = store.hold();
      const waited = settled(fillToHighWater());
      store.failing = true;
      open(); // the batch held is refused
      await log.flush();
      expect(waited()).toBe(true);
      expect(await metric('send_access_log_write_failures_total')).toBe(1);
      expect(log.recordReads(officer, page(HIGH_WATER), DIRECT)).toBeUndefined(); // kept (up to MAX_PENDING), answered at once
      expect(await metric('send_access_log_pending')).toBe(HIGH_WATER + 100);
      store.failing = false;
      await log.flush();
      expect(await metric('send_access_log_entries_total')).toBe(HIGH_WATER + 100);
      expect(await metric('send_access_log_lost_entries_total')).toBe(0);
    });

    it('a read waiting at shutdown goes on once what waits is written', async () => {
      const open = store.hold();
      const waited = fillToHighWater();
      const closing = log.close();
      open();
      await Promise.all([waited, closing]);
      expect(await metric('send_access_log_entries_total')).toBe(HIGH_WATER);
    });
  });

  it('counts as lost what it still cannot write at shutdown', async () => {
    store.failing = true;
    log.recordReads(officer, [request('r-1'), request('r-2')], DIRECT);
    await log.close();
    expect(await metric('send_access_log_lost_entries_total')).toBe(2);
  });

  it('answers reads recorded just before a query (it flushes first)', async () => {
    log.recordReads(officer, [request('r-1')], DIRECT);
    expect((await log.query({}, { limit: 10 })).items).toHaveLength(1);
  });
});

describe.each(['thread', 'inline'] as const)('SqliteAccessLogStore, %s writer', (writer) => {
  let dir: string;
  let store: SqliteAccessLogStore;
  const at = (minute: number) => new Date(Date.UTC(2026, 11, 1, 10, minute));
  const entry = (over: Partial<AccessLogEntry>): AccessLogEntry => ({
    at: at(0),
    userId: 'officer-1',
    role: 'officer',
    what: 'request',
    id: 'r-1',
    caseRef: 'C-1001',
    teamId: 'north',
    context: 'direct',
    via: 'api',
    ...over,
  });

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'access-log-store-'));
    store = new SqliteAccessLogStore(join(dir, 'nested', 'access-log.db'), { writer });
    expect(store.writerKind).toBe(writer);
    await store.append([
      entry({ at: at(1), id: 'r-1' }),
      entry({ at: at(2), id: 'r-2', userId: 'officer-2' }),
      entry({ at: at(3), id: 'r-3', caseRef: 'C-2001', teamId: 'south', userId: 'officer-3' }),
      entry({ at: at(4), id: 'r-4', caseRef: null, teamId: null }),
      entry({ at: at(4), id: 'C-1001', what: 'case', userId: 'manager-1', role: 'team_manager' }),
    ]);
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const ids = async (filter: Parameters<SqliteAccessLogStore['query']>[0]) =>
    (await store.query(filter, { limit: 100 })).items.map((e) => e.id);

  it('answers newest first, and filters by case, reader, team and time ([from, to))', async () => {
    expect(await ids({})).toEqual(['C-1001', 'r-4', 'r-3', 'r-2', 'r-1']);
    expect(await ids({ caseRef: 'C-1001' })).toEqual(['C-1001', 'r-2', 'r-1']);
    expect(await ids({ userId: 'officer-2' })).toEqual(['r-2']);
    expect(await ids({ teamId: 'south' })).toEqual(['r-3']);
    expect(await ids({ from: at(2), to: at(4) })).toEqual(['r-3', 'r-2']);
    expect(await ids({ caseRef: 'C-1001', from: at(2) })).toEqual(['C-1001', 'r-2']);
  });

  it("finds a case's reads by its number whatever characters it holds, and no other case's", async () => {
    const odd = ['C-1', 'C-10', 'ÉHC 7/"x" OR *', 'c-1'];
    await store.append(odd.map((caseRef, i) => entry({ at: at(10 + i), id: `odd-${i}`, caseRef })));
    for (const [i, caseRef] of odd.entries()) expect(await ids({ caseRef })).toEqual([`odd-${i}`]);
    expect(await ids({ caseRef: 'C-' })).toEqual([]);
    expect(await ids({ caseRef: 'C-1', userId: 'officer-1', teamId: 'north', from: at(10), to: at(11) })).toEqual(['odd-0']);
  });

  it('pages by a cursor that holds between entries of the same instant', async () => {
    const seen: string[] = [];
    let page = await store.query({}, { limit: 2 });
    for (;;) {
      seen.push(...page.items.map((e) => e.id));
      if (!page.next) break;
      page = await store.query({}, { limit: 2, after: page.next });
    }
    expect(seen).toEqual(['C-1001', 'r-4', 'r-3', 'r-2', 'r-1']);
  });

  it('refuses to change or remove an entry (append-only)', async () => {
    await store.close();
    const db = new Database(join(dir, 'nested', 'access-log.db'));
    expect(() => db.prepare("UPDATE access_log SET user_id = 'someone-else'").run()).toThrow(/append-only/);
    expect(() => db.prepare('DELETE FROM access_log').run()).toThrow(/append-only/);
    expect((db.prepare('SELECT count(*) AS n FROM access_log').get() as { n: number }).n).toBe(5);
    db.close();
    store = new SqliteAccessLogStore(join(dir, 'nested', 'access-log.db'), { writer });
  });
});

describe('SqliteAccessLogStore, its writer thread failing', () => {
  let dir: string;
  let path: string;
  let metrics: AppMetrics;
  let blocker: Database.Database | null;
  const metric = async (name: string) => (await metrics.registry.getSingleMetric(name)!.get()).values[0]?.value ?? 0;
  /** What the file holds, read by a connection of its own. */
  const idsInFile = () => {
    const db = new Database(path, { readonly: true });
    const ids = (db.prepare('SELECT id FROM access_log ORDER BY seq').all() as { id: string }[]).map((r) => r.id);
    db.close();
    return ids;
  };
  /** Another connection takes the write lock, as another api process sharing the file would. */
  const holdWriteLock = () => {
    blocker = new Database(path);
    blocker.exec('BEGIN IMMEDIATE');
  };
  const releaseWriteLock = () => {
    blocker?.exec('ROLLBACK');
    blocker?.close();
    blocker = null;
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'access-log-thread-'));
    path = join(dir, 'access-log.db');
    metrics = new AppMetrics('api');
    blocker = null;
  });
  afterEach(() => {
    releaseWriteLock();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses writer thread for :memory:, and writes inline there by default', () => {
    expect(() => new SqliteAccessLogStore(':memory:', { writer: 'thread' })).toThrow(/needs a file/);
    const memory = new SqliteAccessLogStore(':memory:');
    expect(memory.writerKind).toBe('inline');
    void memory.close();
    const file = new SqliteAccessLogStore(path);
    expect(file.writerKind).toBe('thread');
    void file.close();
  });

  const entry = (id: string): AccessLogEntry => ({
    ...request(id),
    at: new Date(),
    userId: 'officer-1',
    role: 'officer',
    context: 'direct',
    via: 'api',
  });

  it("rejects a batch the thread cannot commit with SQLite's code, and writes it when asked again", async () => {
    const store = new SqliteAccessLogStore(path, { busyTimeoutMs: 50 });
    holdWriteLock(); // past the busy timeout
    await expect(store.append([entry('r-1')])).rejects.toMatchObject({ code: 'SQLITE_BUSY' });
    releaseWriteLock();
    await store.append([entry('r-1')]); // the same thread, still running
    expect(idsInFile()).toEqual(['r-1']);
    await store.close();
  });

  it('rejects the batch in flight when the thread dies (nothing of it stored), and the next batch starts a new thread', async () => {
    const store = new SqliteAccessLogStore(path);
    await store.append([entry('r-0')]); // the thread is running
    // The thread waits for the write lock (busy timeout 5 s) with r-1's batch when it is killed.
    holdWriteLock();
    const inFlight = store.append([entry('r-1')]);
    await sleep(100);
    const killed = store.killWriterThread();
    releaseWriteLock();
    await killed;
    await expect(inFlight).rejects.toThrow(/writer thread exited unexpectedly/);
    expect(idsInFile()).toEqual(['r-0']); // killed before its COMMIT
    await store.append([entry('r-1')]);
    expect(idsInFile()).toEqual(['r-0', 'r-1']);
    await store.close();
  });

  it('through AccessLog: a batch lost with its thread is counted, kept and written again', async () => {
    const store = new SqliteAccessLogStore(path);
    const log = new AccessLog(store, new SetClock(), metrics);
    log.recordReads(officer, [request('r-0')], DIRECT);
    await log.flush();
    holdWriteLock();
    log.recordReads(officer, [request('r-1')], DIRECT);
    const flushing = log.flush();
    await sleep(100);
    const killed = store.killWriterThread();
    releaseWriteLock();
    await killed;
    await flushing;
    expect(await metric('send_access_log_write_failures_total')).toBe(1);
    await log.flush(); // the retry: by this call, or by the flush timer already set when the batch failed
    expect(idsInFile()).toEqual(['r-0', 'r-1']);
    expect(await metric('send_access_log_entries_total')).toBe(2);
    expect(await metric('send_access_log_pending')).toBe(0);
    await log.close();
  });

  it('at shutdown writes what is waiting on the thread, ends it, and the file keeps every read', async () => {
    const store = new SqliteAccessLogStore(path);
    const log = new AccessLog(store, new SetClock(), metrics);
    for (let i = 0; i < 1000; i++) log.recordReads(officer, [request(`r-${i}`)], DIRECT);
    await log.close(); // before the flush timer fired
    expect(idsInFile()).toHaveLength(1000);
    expect(await metric('send_access_log_lost_entries_total')).toBe(0);
    await expect(store.append([entry('late')])).rejects.toThrow(/closed/); // no thread started again
  });
});
