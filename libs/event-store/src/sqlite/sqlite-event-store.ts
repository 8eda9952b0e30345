import { retriedAppendResult } from '../idempotent-retry';
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  AppendTooLargeError,
  DEFAULT_MAX_APPEND_BYTES,
  DuplicateEventId,
  appendSizeBytes,
  WrongExpectedRevision,
  type AllSubscription,
  type AppendResult,
  type EventData,
  type EventMetadata,
  type EventStore,
  type ExpectedRevision,
  type ReadOptions,
  type RecordedEvent,
  type SubscribeToAllOptions,
  type SubscriptionFilter,
} from '../event-store.port';
import { PagedAllSubscription } from '../paged-all-subscription';
import { faultSeamSync } from '../fault-seam';

/**
 * The embedded EventStore: one SQLite file in WAL mode, shared safely by the api and worker
 * processes (each opens its own connection; SQLite's file locks serialise writers, busy_timeout
 * makes a writer wait for the other instead of failing).
 *
 * Positions are the table's rowid: the global sequence, 1, 2, 3... Because SQLite has exactly one
 * writer at a time and a transaction's rowids are assigned while it holds the write lock, a
 * committed position P means every position below P is committed too: a subscriber reading
 * `position > checkpoint` can never skip an event that commits later with a smaller position.
 * Events are never deleted (there is no API for it), so positions are never reused.
 *
 * Group commit: append() validates and serialises its input, then queues it; a setImmediate flush
 * commits everything queued in that turn of the event loop in ONE `BEGIN IMMEDIATE ... COMMIT`.
 * Each append is checked on its own: one that fails (WrongExpectedRevision, DuplicateEventId) is
 * rejected alone while its batch-mates commit. (All checks run before an append's first insert,
 * so a refused append has written nothing; an unexpected error after that replays the batch with
 * one SAVEPOINT per append: see the constructor.) Appends are
 * applied in call order, so two appends to the same stream in one batch see each other exactly as
 * if they had been committed one after the other. A promise resolves only after COMMIT returned,
 * so no guarantee is weaker than one transaction per append. If COMMIT itself fails, every append
 * of the batch is rejected with that error.
 */

/** What one group commit did, for whoever measures it (the apps' metrics); the lib only reports. */
export interface CommitObservation {
  /** Appends in the batch (each append() call is one, whatever its outcome). */
  appends: number;
  /** Events those appends carried. */
  events: number;
  /** Wall time of BEGIN ... COMMIT. */
  ms: number;
  /** False when BEGIN or COMMIT itself failed and the whole batch was rejected. */
  committed: boolean;
}

export interface EventStoreObserver {
  /** Called after each group commit, synchronously: keep it cheap. Errors it throws are ignored. */
  commit?(observation: CommitObservation): void;
}

export interface SqliteEventStoreOptions {
  /** A file path (its folder is created when missing) or ':memory:' (one instance only). */
  path: string;
  /** How long a writer waits for another process's write lock before failing. Default 5000 ms. */
  busyTimeoutMs?: number;
  /**
   * How often a live subscription looks for appends made by other processes (in-process appends
   * wake subscribers at once). Default 5 ms (an indexed `SELECT max(position)`: measured ~0.5% of a
   * CPU more than 10 ms while idle, and it halves the cross-process projection lag). Only runs while
   * a subscriber is waiting.
   */
  pollIntervalMs?: number;
  /** Events per catch-up page. Default 1000. */
  pageSize?: number;
  /**
   * SQLite `synchronous` in WAL mode. 'full' (default) fsyncs the WAL on every commit, so an
   * acknowledged append survives power loss; 'normal' survives a process crash but may lose the
   * last commits on power loss.
   */
  synchronous?: 'full' | 'normal';
  /** Told about every group commit (batch sizes, commit time). */
  observer?: EventStoreObserver;
  /** The largest append accepted, in bytes (see appendSizeBytes). Default DEFAULT_MAX_APPEND_BYTES. */
  maxAppendBytes?: number;
}

export const SQLITE_SCHEMA = `
CREATE TABLE IF NOT EXISTS events (
  position    INTEGER PRIMARY KEY,
  id          TEXT    NOT NULL UNIQUE,
  stream_id   TEXT    NOT NULL,
  revision    INTEGER NOT NULL,
  type        TEXT    NOT NULL,
  data        TEXT    NOT NULL,
  metadata    TEXT    NOT NULL,
  recorded_at TEXT    NOT NULL,
  UNIQUE (stream_id, revision)
);
`;

interface Row {
  position: number | bigint;
  id: string;
  stream_id: string;
  revision: number | bigint;
  type: string;
  data: string;
  metadata: string;
  recorded_at: string;
}

interface PendingAppend {
  stream: string;
  events: { id: string; type: string; data: string; metadata: string; raw: EventData }[];
  expected: ExpectedRevision;
  resolve: (result: AppendResult) => void;
  reject: (error: unknown) => void;
  result?: AppendResult;
  error?: unknown;
}

const COLUMNS = 'position, id, stream_id, revision, type, data, metadata, recorded_at';

/** Instances in this process by file, so an append wakes the other instances' subscribers too. */
const instancesByFile = new Map<string, Set<SqliteEventStore>>();

export class SqliteEventStore implements EventStore {
  private readonly db: Database.Database;
  private readonly file: string | null;
  private readonly pollIntervalMs: number;
  readonly pageSize: number;
  private queue: PendingAppend[] = [];
  private flushScheduled = false;
  private flushing: Promise<void> | null = null;
  private closed = false;
  /** Highest position known to be committed (by us, another instance here, or seen by polling). */
  private knownHead = 0n;
  private waiters = new Set<{ after: bigint; wake: () => void }>();
  private pollTimer: NodeJS.Timeout | null = null;
  private readonly subscriptions = new Set<SqliteAllSubscription>();

  private readonly stmt: {
    head: Database.Statement<[], { head: number | null }>;
    streamHead: Database.Statement<[string], { revision: number; position: number }>;
    byId: Database.Statement<[string], Row>;
    insert: Database.Statement<[string, string, bigint, string, string, string, string]>;
    read: Database.Statement<[string, bigint], Row>;
  };
  /** True once the append being applied has inserted a row (a failure then needs a rollback). */
  private inserting = false;
  private failedMidAppend = false;
  private readonly commitBatch: (items: PendingAppend[]) => void;
  private readonly observer: EventStoreObserver | undefined;
  private readonly maxAppendBytes: number;

  constructor(options: SqliteEventStoreOptions) {
    const memory = options.path === ':memory:' || options.path === '';
    this.file = memory ? null : resolve(options.path);
    if (this.file) mkdirSync(dirname(this.file), { recursive: true });
    this.pollIntervalMs = options.pollIntervalMs ?? 5;
    this.pageSize = options.pageSize ?? 1000;
    this.observer = options.observer;
    this.maxAppendBytes = options.maxAppendBytes ?? DEFAULT_MAX_APPEND_BYTES;

    this.db = new Database(this.file ?? ':memory:', { timeout: options.busyTimeoutMs ?? 5000 });
    this.db.pragma(`busy_timeout = ${Math.trunc(options.busyTimeoutMs ?? 5000)}`);
    if (this.file) this.db.pragma('journal_mode = WAL');
    this.db.pragma(`synchronous = ${options.synchronous === 'normal' ? 'NORMAL' : 'FULL'}`);
    this.db.exec(SQLITE_SCHEMA);

    this.stmt = {
      head: this.db.prepare('SELECT max(position) AS head FROM events'),
      streamHead: this.db.prepare('SELECT revision, position FROM events WHERE stream_id = ? ORDER BY revision DESC LIMIT 1'),
      byId: this.db.prepare(`SELECT ${COLUMNS} FROM events WHERE id = ?`),
      insert: this.db.prepare(
        'INSERT INTO events (id, stream_id, revision, type, data, metadata, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
      ),
      read: this.db.prepare(`SELECT ${COLUMNS} FROM events WHERE stream_id = ? AND revision >= ? ORDER BY revision`),
    };

    // Fast path: every check of an append (revision, every id) runs before its first insert, so an
    // append refused by a check has written nothing and needs no SAVEPOINT. An error after an
    // append's first insert (I/O, an unforeseen constraint) aborts the whole transaction, and the
    // batch is replayed on the safe path: one SAVEPOINT per append (nested better-sqlite3
    // transactions), so that append alone is rolled back and rejected.
    const fast = this.db.transaction((items: PendingAppend[]) => {
      const recordedAt = new Date().toISOString();
      for (const item of items) {
        this.inserting = false;
        try {
          item.result = this.applyAppend(item, recordedAt);
          faultSeamSync('mid-append');
        } catch (error) {
          if (this.inserting) {
            this.failedMidAppend = true;
            throw error;
          }
          item.error = error;
        }
      }
    });
    const appendOne = this.db.transaction((item: PendingAppend, recordedAt: string) => this.applyAppend(item, recordedAt));
    const safe = this.db.transaction((items: PendingAppend[]) => {
      const recordedAt = new Date().toISOString();
      for (const item of items) {
        try {
          item.result = appendOne(item, recordedAt);
        } catch (error) {
          item.error = error;
        }
      }
    });
    this.commitBatch = (items) => {
      this.failedMidAppend = false;
      try {
        fast.immediate(items);
      } catch (error) {
        if (!this.failedMidAppend) throw error; // BEGIN or COMMIT failed: the caller rejects the batch
        for (const item of items) item.result = item.error = undefined;
        safe.immediate(items);
      }
    };

    this.knownHead = this.readHead();
    if (this.file) {
      let set = instancesByFile.get(this.file);
      if (!set) instancesByFile.set(this.file, (set = new Set()));
      set.add(this);
    }
  }

  append(stream: string, events: EventData[], options: { expectedRevision: ExpectedRevision }): Promise<AppendResult> {
    if (this.closed) return Promise.reject(new Error('SqliteEventStore is closed'));
    if (events.length === 0) return Promise.reject(new TypeError(`append to ${stream}: no events to append`));
    let item: PendingAppend;
    const promise = new Promise<AppendResult>((resolve, reject) => {
      try {
        const seen = new Set<string>();
        const prepared = events.map((e) => {
          if (seen.has(e.id)) throw new DuplicateEventId(stream, e.id, 'appears twice in one append');
          seen.add(e.id);
          return {
            id: e.id,
            type: e.type,
            data: JSON.stringify(e.data ?? {}),
            metadata: JSON.stringify(e.metadata ?? {}),
            raw: e,
          };
        });
        const bytes = appendSizeBytes(prepared);
        if (bytes > this.maxAppendBytes) throw new AppendTooLargeError(stream, bytes, this.maxAppendBytes);
        item = { stream, events: prepared, expected: options.expectedRevision, resolve, reject };
      } catch (error) {
        reject(error);
        return;
      }
      this.queue.push(item);
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => this.flush());
      }
    });
    return promise;
  }

  async read(stream: string, options?: ReadOptions): Promise<RecordedEvent[]> {
    this.assertOpen();
    return this.stmt.read.all(stream, options?.fromRevision ?? 0n).map(toRecorded);
  }

  subscribeToAll(options: SubscribeToAllOptions): AllSubscription {
    this.assertOpen();
    const sub = new SqliteAllSubscription(this, this.db, options, () => this.subscriptions.delete(sub));
    this.subscriptions.add(sub);
    return sub;
  }

  async ping(): Promise<void> {
    this.assertOpen();
    this.db.prepare('SELECT 1').get();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    // Commit what is queued before closing: a caller that got no error must not lose its append.
    while (this.queue.length > 0 || this.flushing) {
      if (this.queue.length > 0 && !this.flushing) this.flush();
      await this.flushing;
    }
    this.closed = true;
    await Promise.all([...this.subscriptions].map((s) => s.close()));
    this.stopPolling();
    for (const w of this.waiters) w.wake();
    this.waiters.clear();
    if (this.file) instancesByFile.get(this.file)?.delete(this);
    this.db.close();
  }

  async headPosition(): Promise<bigint> {
    return this.readHead();
  }

  // --- internals used by the subscription -------------------------------------------------------

  /** The highest committed position in the file (0n when empty). */
  readHead(): bigint {
    const head = this.stmt.head.get()?.head;
    const value = head == null ? 0n : BigInt(head);
    if (value > this.knownHead) this.observeHead(value);
    return value;
  }

  /** Resolves when a position above `after` is known to be committed, or on close. */
  waitForHeadAbove(after: bigint, maxWaitMs = 1000): Promise<void> {
    if (this.closed || this.knownHead > after) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const waiter = {
        after,
        wake: () => {
          clearTimeout(timer);
          this.waiters.delete(waiter);
          if (this.waiters.size === 0) this.stopPolling();
          resolve();
        },
      };
      const timer = setTimeout(waiter.wake, maxWaitMs);
      timer.unref();
      this.waiters.add(waiter);
      this.startPolling();
    });
  }

  /** Wakes every waiter when something was committed (called by an instance on the same file too). */
  wakeAll(): void {
    for (const w of [...this.waiters]) w.wake();
  }

  isClosed(): boolean {
    return this.closed;
  }

  private observeHead(position: bigint): void {
    if (position <= this.knownHead) return;
    this.knownHead = position;
    for (const w of [...this.waiters]) if (position > w.after) w.wake();
  }

  private startPolling(): void {
    if (this.pollTimer || !this.file || this.closed) return;
    this.pollTimer = setInterval(() => {
      if (this.closed) return this.stopPolling();
      try {
        this.readHead();
      } catch {
        // A busy or momentarily unreadable file: the next tick tries again.
      }
    }, this.pollIntervalMs);
    this.pollTimer.unref();
  }

  private stopPolling(): void {
    if (this.pollTimer) clearInterval(this.pollTimer);
    this.pollTimer = null;
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('SqliteEventStore is closed');
  }

  private flush(): void {
    this.flushScheduled = false;
    const items = this.queue;
    if (items.length === 0) return;
    this.queue = [];
    let done!: () => void;
    this.flushing = new Promise<void>((r) => (done = r));
    const started = this.observer ? performance.now() : 0;
    let committed = true;
    try {
      this.commitBatch(items);
    } catch (error) {
      committed = false;
      // BEGIN or COMMIT failed (busy past the timeout, disk full...): nothing of the batch is stored.
      for (const item of items) {
        item.result = undefined;
        item.error = error;
      }
    }
    if (this.observer?.commit) {
      let events = 0;
      for (const item of items) events += item.events.length;
      try {
        this.observer.commit({ appends: items.length, events, ms: performance.now() - started, committed });
      } catch {
        // Measuring must never fail an append.
      }
    }
    let maxPosition = 0n;
    for (const item of items) {
      if (item.result) {
        if (item.result.position > maxPosition) maxPosition = item.result.position;
        item.resolve(item.result);
      } else item.reject(item.error);
    }
    this.flushing = null;
    done();
    if (maxPosition > 0n) {
      this.observeHead(maxPosition);
      if (this.file) for (const other of instancesByFile.get(this.file) ?? []) if (other !== this) other.wakeAll();
    }
  }

  /** One append, inside its savepoint. Throws to roll back this append alone. */
  private applyAppend(item: PendingAppend, recordedAt: string): AppendResult {
    const { stream, events } = item;
    const existing = this.stmt.byId.get(events[0].id);
    if (existing) return this.idempotentResult(item, existing);

    const head = this.stmt.streamHead.get(stream);
    const current = head ? BigInt(head.revision) : ('no_stream' as const);
    const expected = item.expected;
    if (expected === 'no_stream' ? current !== 'no_stream' : expected !== 'any' && expected !== current) {
      throw new WrongExpectedRevision(stream, expected, current);
    }

    for (let i = 1; i < events.length; i++) {
      if (this.stmt.byId.get(events[i].id)) {
        throw new DuplicateEventId(
          stream,
          events[i].id,
          'is already stored while earlier ids of this append are new: a partly-overlapping append is refused',
        );
      }
    }

    let revision = current === 'no_stream' ? -1n : current;
    const recorded: RecordedEvent[] = [];
    this.inserting = true;
    const at = new Date(recordedAt);
    for (const e of events) {
      revision += 1n;
      let info: Database.RunResult;
      try {
        info = this.stmt.insert.run(e.id, stream, revision, e.type, e.data, e.metadata, recordedAt);
      } catch (error) {
        if ((error as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE' && this.stmt.byId.get(e.id)) {
          throw new DuplicateEventId(
            stream,
            e.id,
            'is already stored, but the append is not a retry of the one that stored it (only some of its ids are stored)',
          );
        }
        throw error;
      }
      recorded.push({
        id: e.id,
        streamId: stream,
        type: e.type,
        revision,
        position: BigInt(info.lastInsertRowid),
        data: (e.raw.data ?? {}) as Record<string, unknown>,
        metadata: (e.raw.metadata ?? {}) as EventMetadata,
        recordedAt: at,
      });
    }
    const last = recorded[recorded.length - 1];
    return { nextRevision: last.revision, position: last.position, events: recorded };
  }

  /** The first id is already stored: a retry only if the whole append is (the shared rule). */
  private idempotentResult(item: PendingAppend, first: Row): AppendResult {
    return retriedAppendResult(item.stream, item.events.map((e) => e.id), first, (id) => this.stmt.byId.get(id), toRecorded);
  }
}

function toRecorded(row: Row): RecordedEvent {
  return {
    id: row.id,
    streamId: row.stream_id,
    type: row.type,
    revision: BigInt(row.revision),
    position: BigInt(row.position),
    data: JSON.parse(row.data),
    metadata: JSON.parse(row.metadata),
    recordedAt: new Date(row.recorded_at),
  };
}

/** Catch-up in pages of `pageSize`, then live: woken by in-process appends, polling for others. */
class SqliteAllSubscription extends PagedAllSubscription {
  private readonly page: Database.Statement<unknown[], Row>;
  /** As `page` with the limit a parameter: nextBatch's read. */
  private readonly batch: Database.Statement<unknown[], Row>;
  private readonly params: unknown[];
  private last: bigint;

  constructor(
    private readonly store: SqliteEventStore,
    db: Database.Database,
    options: SubscribeToAllOptions,
    onClose: () => void,
  ) {
    super(onClose);
    this.last = options.from === 'start' ? 0n : options.from;
    const { where, params } = filterSql(options.filter);
    this.params = params;
    this.page = db.prepare(
      `SELECT ${COLUMNS} FROM events WHERE position > ? AND position <= ?${where} ORDER BY position LIMIT ${store.pageSize}`,
    );
    this.batch = db.prepare(`SELECT ${COLUMNS} FROM events WHERE position > ? AND position <= ?${where} ORDER BY position LIMIT ?`);
  }

  /** The events after the last one returned, up to `max`, read in one query; waits only when none are committed yet. */
  async nextBatch(max: number): Promise<RecordedEvent[] | null> {
    const limit = this.startBatching(max);
    while (!this.closed && !this.store.isClosed()) {
      const head = this.store.readHead();
      while (this.last < head) {
        const rows = this.batch.all(this.last, head, ...this.params, limit);
        // Fewer than asked: nothing else matches up to the head (other streams' events are skipped).
        if (rows.length < limit) this.last = head;
        if (rows.length > 0) {
          const events = rows.map(toRecorded);
          if (rows.length === limit) this.last = events[events.length - 1].position;
          return events;
        }
      }
      await this.waitFor(this.store.waitForHeadAbove(this.last));
    }
    return null;
  }

  protected async *run(): AsyncGenerator<RecordedEvent, void, undefined> {
    const pageSize = this.store.pageSize;
    while (!this.closed && !this.store.isClosed()) {
      const head = this.store.readHead();
      while (this.last < head) {
        const rows = this.page.all(this.last, head, ...this.params);
        for (const row of rows) {
          const event = toRecorded(row);
          this.last = event.position;
          yield event;
          if (this.closed) return;
        }
        if (rows.length < pageSize) this.last = head;
      }
      await this.waitFor(this.store.waitForHeadAbove(this.last));
    }
  }
}

function filterSql(filter?: SubscriptionFilter): { where: string; params: unknown[] } {
  let where = '';
  const params: unknown[] = [];
  if (filter?.streamPrefixes) {
    if (filter.streamPrefixes.length === 0) return { where: ' AND 0', params };
    where += ` AND (${filter.streamPrefixes.map((p) => `substr(stream_id, 1, ${[...p].length}) = ?`).join(' OR ')})`;
    params.push(...filter.streamPrefixes);
  }
  if (filter?.eventTypes) {
    if (filter.eventTypes.length === 0) return { where: ' AND 0', params: [] };
    where += ` AND type IN (${filter.eventTypes.map(() => '?').join(', ')})`;
    params.push(...filter.eventTypes);
  }
  return { where, params };
}
