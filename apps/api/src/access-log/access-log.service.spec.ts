import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SQLITE_CACHE_KIB } from '@send/event-store';
import { AppMetrics, Clock } from '@send/platform';
import type { AuthUser, Role } from '../auth/roles';
import fc from 'fast-check';
import {
  type AccessLogEntry,
  type AccessLogFilter,
  type AccessLogStore,
  type AccessRead,
  type PackedRead,
  type ReadContext,
  type ReadItem,
  packRead,
  unpackRead,
} from './access-log.port';
import { AccessLog, FLUSH_EVERY_MS, HIGH_WATER, MAX_BATCH, MAX_PENDING, requestRead } from './access-log.service';
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
/** The entries a read stands for, in the order it showed them. */
const entriesOf = ({ items, ...read }: AccessRead): AccessLogEntry[] => items.map((item) => ({ ...read, ...item }));
/** Reads as the log hands them to its store. */
const packed = (reads: readonly AccessRead[]): PackedRead[] => reads.map(packRead);
/** The read of one item an entry stands for. */
const readOf = ({ what, id, caseRef, teamId, ...read }: AccessLogEntry): AccessRead => ({
  ...read,
  items: [{ what, id, caseRef, teamId }],
});
/** Every entry of the filter, page by page. */
const allPages = async (store: SqliteAccessLogStore, filter: AccessLogFilter, limit: number) => {
  const seen: AccessLogEntry[] = [];
  let page = await store.query(filter, { limit });
  for (;;) {
    expect(page.items.length).toBeLessThanOrEqual(limit);
    seen.push(...page.items);
    if (!page.next) return seen;
    expect(page.items).toHaveLength(limit);
    page = await store.query(filter, { limit, after: page.next });
  }
};

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
  async append(reads: readonly PackedRead[]): Promise<void> {
    if (this.gate) await this.gate;
    if (this.failing) throw new Error('disk full');
    this.batches.push(reads.map(unpackRead).flatMap(entriesOf));
    await this.inner.append(reads);
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

  it('drops part of a read when the bound falls inside it: its oldest items, the rest kept with their case and team', async () => {
    store.failing = true;
    const rows = Array.from({ length: 10 }, (_, i) => request(`r-${i}`, `C-${i}`, i % 2 ? 'north' : 'south'));
    log.recordReads(officer, rows, { context: 'queue', via: 'api' });
    for (let i = 0; i < MAX_PENDING - 7; i++) log.recordReads(officer, [request(`s-${i}`)], DIRECT);
    await log.flush();
    expect(await metric('send_access_log_lost_entries_total')).toBe(3);
    store.failing = false;
    await log.flush();
    const [first] = store.batches;
    expect(first.slice(0, 7)).toEqual(
      rows.slice(3).map((row) => ({ ...row, at: clock.now(), userId: officer.id, role: 'officer', context: 'queue', via: 'api' })),
    );
    expect(first[7]!.id).toBe('s-0');
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
    await store.append(
      packed(
        [
          entry({ at: at(1), id: 'r-1' }),
          entry({ at: at(2), id: 'r-2', userId: 'officer-2' }),
          entry({ at: at(3), id: 'r-3', caseRef: 'C-2001', teamId: 'south', userId: 'officer-3' }),
          entry({ at: at(4), id: 'r-4', caseRef: null, teamId: null }),
          entry({ at: at(4), id: 'C-1001', what: 'case', userId: 'manager-1', role: 'team_manager' }),
        ].map(readOf),
      ),
    );
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
    await store.append(packed(odd.map((caseRef, i) => readOf(entry({ at: at(10 + i), id: `odd-${i}`, caseRef })))));
    for (const [i, caseRef] of odd.entries()) expect(await ids({ caseRef })).toEqual([`odd-${i}`]);
    expect(await ids({ caseRef: 'C-' })).toEqual([]);
    expect(await ids({ caseRef: 'C-1', userId: 'officer-1', teamId: 'north', from: at(10), to: at(11) })).toEqual(['odd-0']);
  });

  it('pages by a cursor that holds between entries of the same instant', async () => {
    expect((await allPages(store, {}, 2)).map((e) => e.id)).toEqual(['C-1001', 'r-4', 'r-3', 'r-2', 'r-1']);
  });

  it('refuses to change or remove an entry (append-only)', async () => {
    await store.close();
    const db = new Database(join(dir, 'nested', 'access-log.db'));
    for (const table of ['access_read', 'access_read_team', 'access_read_case']) {
      expect(() => db.prepare(`UPDATE ${table} SET seq = seq + 1000`).run()).toThrow(/append-only/);
      expect(() => db.prepare(`DELETE FROM ${table}`).run()).toThrow(/append-only/);
    }
    expect((db.prepare('SELECT count(*) AS n FROM access_read').get() as { n: number }).n).toBe(5);
    db.close();
    store = new SqliteAccessLogStore(join(dir, 'nested', 'access-log.db'), { writer });
  });
});

describe('SqliteAccessLogStore, one row a read (ADR 0014, 2026-12-04)', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'access-log-rows-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const at = (minute: number) => new Date(Date.UTC(2026, 11, 1, 10, minute));
  const read = (minute: number, items: ReadItem[], over: Partial<AccessRead> = {}): AccessRead => ({
    at: at(minute),
    userId: 'officer-1',
    role: 'officer',
    context: 'queue',
    via: 'api',
    items,
    ...over,
  });
  const fileOf = (store: SqliteAccessLogStore) => (store as unknown as { db: Database.Database }).db;

  it("keeps a queue page's read as one row, its teams once each, and answers an entry per item, the last shown first", async () => {
    const store = new SqliteAccessLogStore(join(dir, 'log.db'), { writer: 'inline' });
    const rows = Array.from({ length: 100 }, (_, i) => request(`r-${i}`, `C-${i % 30}`, i % 2 ? 'north' : 'south'));
    await store.append(packed([read(1, rows)]));
    const db = fileOf(store);
    expect(db.prepare('SELECT count(*) AS n FROM access_read').get()).toEqual({ n: 1 });
    expect(db.prepare('SELECT team_id FROM access_read_team ORDER BY 1').all()).toEqual([{ team_id: 'north' }, { team_id: 'south' }]);
    expect((await allPages(store, {}, 7)).map((e) => e.id)).toEqual(rows.map((r) => r.id).reverse());
    expect((await allPages(store, { caseRef: 'C-3' }, 1)).map((e) => e.id)).toEqual(['r-93', 'r-63', 'r-33', 'r-3']);
    expect((await allPages(store, { teamId: 'south', caseRef: 'C-3' }, 1)).map((e) => e.id)).toEqual([]);
    expect((await allPages(store, { teamId: 'north', caseRef: 'C-3' }, 3)).map((e) => e.id)).toEqual(['r-93', 'r-63', 'r-33', 'r-3']);
    await store.close();
  });

  it('finds a case in reads its index holds and in the newest, not indexed yet, in one order', async () => {
    const store = new SqliteAccessLogStore(join(dir, 'log.db'), { writer: 'inline', caseIndexing: { every: 3, afterMs: 3_600_000 } });
    const db = fileOf(store);
    const indexedTo = () =>
      (db.prepare(`SELECT value FROM access_log_meta WHERE key = 'cases_indexed_to'`).get() as { value: number }).value;
    await store.append(packed([read(1, [request('r-1', 'C-1'), request('r-2', 'C-2')])])); // the first write indexes what was there
    expect(indexedTo()).toBe(1);
    await store.append(packed([read(2, [request('r-3', 'C-1')])])); // 1 waiting
    expect(indexedTo()).toBe(1);
    await store.append(packed([read(3, [request('r-4', 'C-1'), request('r-5', null)]), read(3, [request('r-6', 'C-1')])])); // 3 waiting: indexed
    expect(indexedTo()).toBe(4);
    await store.append(packed([read(4, [request('r-7', 'C-1')]), read(0, [request('r-0', 'C-1')])])); // waiting again; one read older than all
    expect(indexedTo()).toBe(4);
    expect(db.prepare('SELECT count(*) AS n FROM access_read_case').get()).toEqual({ n: 5 }); // C-1 in reads 1, 3, 4 and C-2
    expect((await allPages(store, { caseRef: 'C-1' }, 2)).map((e) => e.id)).toEqual(['r-7', 'r-6', 'r-4', 'r-3', 'r-1', 'r-0']);
    expect((await allPages(store, { caseRef: 'C-1', from: at(2), to: at(4) }, 10)).map((e) => e.id)).toEqual(['r-6', 'r-4', 'r-3']);
    await store.close();
  });

  it('finds a case among the reads not indexed yet whatever characters it holds, and no other case by its text', async () => {
    const store = new SqliteAccessLogStore(join(dir, 'log.db'), { writer: 'inline', caseIndexing: { every: 1e9, afterMs: 3_600_000 } });
    await store.append(packed([read(1, [request('r-0', 'C-0')])])); // the first write indexes what was there: the rest wait
    const odd = ['C-1', 'C-10', 'ÉHC 7/"x" \\ OR *', 'c-1', '\ud800 lone', 'tab\there', 'north'];
    await store.append(packed(odd.map((caseRef, i) => read(2 + i, [request(`odd-${i}`, caseRef, 'south')]))));
    // A case's text elsewhere in a read (an id, a team) is not that case.
    await store.append(packed([read(20, [request('C-1', 'C-2', 'C-1'), request('r-x', null, 'C-10')])]));
    const db = fileOf(store);
    expect(db.prepare(`SELECT value FROM access_log_meta WHERE key = 'cases_indexed_to'`).get()).toEqual({ value: 1 });
    for (const [i, caseRef] of odd.entries()) expect((await allPages(store, { caseRef }, 5)).map((e) => e.id)).toEqual([`odd-${i}`]);
    expect((await allPages(store, { caseRef: 'C-2' }, 5)).map((e) => e.id)).toEqual(['C-1']);
    expect((await allPages(store, { caseRef: 'C-' }, 5)).map((e) => e.id)).toEqual([]);
    expect((await allPages(store, { caseRef: '"C-1"' }, 5)).map((e) => e.id)).toEqual([]);
    await store.close();
  });

  it('pages every entry exactly once, newest first, whatever the filter and page size, while reads are added', async () => {
    const cases = ['C-1', 'C-2', 'C-3', null];
    const teams = ['north', 'south', null];
    const arbRead = fc.record({
      minute: fc.integer({ min: 0, max: 5 }),
      userId: fc.constantFrom('officer-1', 'officer-2'),
      items: fc.array(
        fc.record({ id: fc.integer({ min: 0, max: 99 }), caseRef: fc.constantFrom(...cases), teamId: fc.constantFrom(...teams) }),
        { minLength: 1, maxLength: 6 },
      ),
    });
    type RandomRead = typeof arbRead extends fc.Arbitrary<infer T> ? T : never;
    const arbFilter = fc.record(
      {
        caseRef: fc.constantFrom('C-1', 'C-2'),
        teamId: fc.constantFrom('north', 'south'),
        userId: fc.constantFrom('officer-1', 'officer-2'),
        from: fc.integer({ min: 0, max: 5 }),
        to: fc.integer({ min: 1, max: 6 }),
      },
      { requiredKeys: [] },
    );
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(arbRead, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 6 }),
        fc.array(arbRead, { maxLength: 3 }),
        arbFilter,
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 1, max: 8 }),
        async (batches, added, f, limit, every) => {
          const store = new SqliteAccessLogStore(join(dir, `p-${run++}.db`), {
            writer: 'inline',
            caseIndexing: { every, afterMs: 3_600_000 },
          });
          try {
            const toRead = (r: RandomRead) =>
              read(
                r.minute,
                r.items.map((i) => request(`r-${i.id}`, i.caseRef, i.teamId)),
                { userId: r.userId },
              );
            const written: AccessRead[] = [];
            for (const batch of batches) {
              const reads = batch.map(toRead);
              await store.append(packed(reads));
              written.push(...reads);
            }
            const filter: AccessLogFilter = {
              caseRef: f.caseRef,
              teamId: f.teamId,
              userId: f.userId,
              from: f.from === undefined ? undefined : at(f.from),
              to: f.to === undefined ? undefined : at(f.to),
            };
            // What it must answer: each read's entries, newest read first (the later written first at
            // the same instant), the last item of a read first.
            const expected = written
              .map((r, seq) => ({ r, seq }))
              .sort((a, b) => b.r.at.getTime() - a.r.at.getTime() || b.seq - a.seq)
              .flatMap(({ r }) => entriesOf(r).reverse())
              .filter(
                (e) =>
                  (filter.caseRef === undefined || e.caseRef === filter.caseRef) &&
                  (filter.teamId === undefined || e.teamId === filter.teamId) &&
                  (filter.userId === undefined || e.userId === filter.userId) &&
                  (filter.from === undefined || e.at >= filter.from) &&
                  (filter.to === undefined || e.at < filter.to),
              );
            // Reads added after the first page, at the newest instant: after the cursor, so not in the pages.
            const seen: AccessLogEntry[] = [];
            let page = await store.query(filter, { limit });
            await store.append(packed(added.map((r) => ({ ...toRead(r), at: at(9) }))));
            for (;;) {
              seen.push(...page.items);
              if (!page.next) break;
              page = await store.query(filter, { limit, after: page.next });
            }
            expect(seen).toEqual(expected);
          } finally {
            await store.close();
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  it('moves the rows of a file written before 2026-12-04 (a row an item) into reads, once, keeping their order and sequence numbers', async () => {
    const path = join(dir, 'old.db');
    const old = new Database(path);
    old.pragma('journal_mode = WAL');
    old.exec(`
      CREATE TABLE access_log (seq INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER NOT NULL, user_id TEXT NOT NULL, role TEXT NOT NULL,
        what TEXT NOT NULL, id TEXT NOT NULL, case_ref TEXT, team_id TEXT, context TEXT NOT NULL, via TEXT NOT NULL);
      CREATE INDEX access_log_by_case ON access_log (case_ref, at, seq);
      CREATE TRIGGER access_log_no_delete BEFORE DELETE ON access_log BEGIN SELECT RAISE(ABORT, 'the access log is append-only'); END;`);
    const insert = old.prepare(
      'INSERT INTO access_log (at, user_id, role, what, id, case_ref, team_id, context, via) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
    );
    insert.run(at(1).getTime(), 'officer-1', 'officer', 'request', 'r-1', 'C-1', 'north', 'queue', 'api');
    insert.run(at(1).getTime(), 'officer-1', 'officer', 'request', 'r-2', null, null, 'queue', 'api');
    insert.run(at(2).getTime(), 'manager-1', 'team_manager', 'case', 'C-1', 'C-1', 'north', 'direct', 'page');
    old.close();

    const store = new SqliteAccessLogStore(path, { writer: 'inline' });
    expect(store.migratedRows).toBe(3);
    const db = fileOf(store);
    expect(db.prepare(`SELECT name FROM sqlite_master WHERE name LIKE 'access_log%' AND type = 'table'`).all()).toEqual([
      { name: 'access_log_meta' },
    ]);
    const entries = await allPages(store, {}, 2);
    expect(entries.map((e) => [e.id, e.what, e.caseRef, e.teamId, e.userId, e.context, e.via])).toEqual([
      ['C-1', 'case', 'C-1', 'north', 'manager-1', 'direct', 'page'],
      ['r-2', 'request', null, null, 'officer-1', 'queue', 'api'],
      ['r-1', 'request', 'C-1', 'north', 'officer-1', 'queue', 'api'],
    ]);
    expect((await allPages(store, { caseRef: 'C-1' }, 10)).map((e) => e.id)).toEqual(['C-1', 'r-1']);
    expect((await allPages(store, { teamId: 'north' }, 10)).map((e) => e.id)).toEqual(['C-1', 'r-1']);
    // A cursor given out before (a plain sequence number) goes on from the same place.
    expect((await store.query({}, { limit: 10, after: { score: at(1).getTime(), id: '2' } })).items.map((e) => e.id)).toEqual(['r-1']);
    await store.append(packed([read(3, [request('r-3')])]));
    expect(db.prepare('SELECT max(seq) AS seq FROM access_read').get()).toEqual({ seq: 4 });
    await store.close();

    const again = new SqliteAccessLogStore(path, { writer: 'inline' });
    expect(again.migratedRows).toBe(0);
    expect((await allPages(again, {}, 10)).map((e) => e.id)).toEqual(['r-3', 'C-1', 'r-2', 'r-1']);
    await again.close();
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
    const ids = (db.prepare('SELECT items FROM access_read ORDER BY seq').all() as { items: string }[]).flatMap((r) =>
      (JSON.parse(r.items) as string[][]).map((item) => item[1]),
    );
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

  const entry = (id: string): AccessRead => ({
    at: new Date(),
    userId: 'officer-1',
    role: 'officer',
    context: 'direct',
    via: 'api',
    items: [request(id)],
  });

  it("rejects a batch the thread cannot commit with SQLite's code, and writes it when asked again", async () => {
    const store = new SqliteAccessLogStore(path, { busyTimeoutMs: 50 });
    holdWriteLock(); // past the busy timeout
    await expect(store.append(packed([entry('r-1')]))).rejects.toMatchObject({ code: 'SQLITE_BUSY' });
    releaseWriteLock();
    await store.append(packed([entry('r-1')])); // the same thread, still running
    expect(idsInFile()).toEqual(['r-1']);
    await store.close();
  });

  it('rejects the batch in flight when the thread dies (nothing of it stored), and the next batch starts a new thread', async () => {
    const store = new SqliteAccessLogStore(path);
    await store.append(packed([entry('r-0')])); // the thread is running
    // The thread waits for the write lock (busy timeout 5 s) with r-1's batch when it is killed.
    holdWriteLock();
    const inFlight = store.append(packed([entry('r-1')]));
    await sleep(100);
    const killed = store.killWriterThread();
    releaseWriteLock();
    await killed;
    await expect(inFlight).rejects.toThrow(/writer thread exited unexpectedly/);
    expect(idsInFile()).toEqual(['r-0']); // killed before its COMMIT
    await store.append(packed([entry('r-1')]));
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
    await expect(store.append(packed([entry('late')]))).rejects.toThrow(/closed/); // no thread started again
  });
});
