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
  type AppendOptions,
  type AppendResult,
  type EventData,
  type EventStore,
  type ExpectedRevision,
  type ReadOptions,
  type RecordedEvent,
  type SubscribeToAllOptions,
} from '../event-store.port';
import { PagedAllSubscription } from '../paged-all-subscription';
import {
  appendResultOf,
  batchCommitter,
  COLUMNS,
  toRecordedRaw,
  type BatchItem,
  type BatchOutcome,
  type ItemOutcome,
  type RawRow,
  type Row,
} from './sqlite-append';
import { SQLITE_CACHE_KIB } from './sqlite-cache';
import { eventMatch, filterSql, sharedEvent, SqliteTail, type EventMatch } from './sqlite-tail';
import { SqliteWriter, writerScript, type BatchReply } from './sqlite-writer';
import { connectionSettingsOf, fromWire, type ConnectionSettings } from './sqlite-writer.protocol';

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
 * With writer 'thread' (the default for a file, ADR 0018) that transaction, fsync included, runs on
 * the store's writer thread, which owns the write connection; this thread keeps a read connection
 * (WAL readers never wait for the writer) for reads, subscriptions and headPosition. Batches are
 * sent to the thread as they come; the thread commits every batch that arrived while its last
 * transaction ran in its next one, so under load one fsync serves everything sent meanwhile.
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
  /**
   * Where group commits run (ADR 0018). 'thread' (default for a file): on a worker thread that owns
   * the write connection, so the caller's event loop never waits on a commit's fsync. 'inline'
   * (default, and the only choice, for ':memory:', which a thread cannot share): on the caller's
   * thread, synchronously, as before.
   */
  writer?: 'thread' | 'inline';
  /**
   * The page cache of each of the store's connections (the read connection and the writer
   * thread's), in KiB: SQLite's `cache_size = -N`. Default SQLITE_CACHE_KIB (ADR 0018, 2026-12-02).
   */
  cacheSizeKib?: number;
  /**
   * The shared tail (ADR 0024): the most recent events read, kept for the live subscriptions of
   * every instance on the file in this process, so each new event is read and parsed once rather
   * than once per subscription. At most this many events (default 4096; 0: no tail, each
   * subscription reads for itself)...
   */
  tailEvents?: number;
  /** ...and about this many bytes (default 16 MiB). The first instance on a file sets both. */
  tailBytes?: number;
  /**
   * With the thread writer: how often its checkpointer thread checkpoints the WAL (ADR 0018,
   * checkpoints), off the commits' path, the writer then checkpointing itself only past
   * CHECKPOINT_BACKSTOP_PAGES. Default CHECKPOINT_EVERY_MS; 0: no checkpointer, a commit checkpoints whenever the
   * WAL passes SQLite's 1,000 pages (every commit behind it waits). The inline writer always does so.
   */
  checkpointEveryMs?: number;
}

/**
 * With a checkpointer thread, the WAL size (pages) past which a commit checkpoints anyway: a
 * backstop, reached only if the checkpointer falls far behind or dies (about 40 MB of WAL).
 */
export const CHECKPOINT_BACKSTOP_PAGES = 10_000;
/**
 * How often the checkpointer copies the WAL into the file. A checkpoint copies each page changed
 * since the last one once, however often it changed meanwhile: the index pages and the table's last
 * page that every append touches are copied once every 500 ms instead of five times (ADR 0018,
 * 2026-12-03: the checkpointer's CPU a third of what 100 ms cost). Under the attempts bench's ~3,500
 * appends/s the WAL gathers ~6,000 pages between two checkpoints, within the backstop.
 */
export const CHECKPOINT_EVERY_MS = 500;
/** SQLite's own wal_autocheckpoint default (pages). */
const SQLITE_AUTOCHECKPOINT_PAGES = 1000;

export { SQLITE_CACHE_KIB };

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

interface PendingAppend extends BatchItem {
  /** The caller's events, for the AppendResult (no re-parse of what it just gave us). */
  raw: EventData[];
  resolve: (result: AppendResult) => void;
  reject: (error: unknown) => void;
}

/** A batch's end, from either writer: committed (each append's outcome), or not at all. */
type Settled = { committed: true; recordedAt: string; outcomes: ItemOutcome[] } | { committed: false; error: unknown };

/** A batch's answer from the writer thread, its errors rebuilt as the typed errors the inline writer throws. */
function fromThread(reply: BatchReply): Settled {
  if (!reply.committed) return { committed: false, error: fromWire(reply.error) };
  const outcomes = reply.outcomes.map((o): ItemOutcome => (o.kind === 'failed' ? { kind: 'failed', error: fromWire(o.error) } : o));
  return { committed: true, recordedAt: reply.recordedAt, outcomes };
}

/** Instances in this process by file, so an append wakes the other instances' subscribers too. */
const instancesByFile = new Map<string, Set<SqliteEventStore>>();
/** The tail of each file with an open instance here: its instances' subscriptions share it. */
const tailsByFile = new Map<string, SqliteTail>();

export class SqliteEventStore implements EventStore {
  /** Reads, subscriptions, headPosition; and the writes too when writer is 'inline'. */
  private readonly db: Database.Database;
  private readonly file: string | null;
  private readonly pollIntervalMs: number;
  readonly pageSize: number;
  /** 'thread' or 'inline', as chosen (see SqliteEventStoreOptions.writer). */
  readonly writer: 'thread' | 'inline';
  private queue: PendingAppend[] = [];
  private flushScheduled = false;
  /** Inline: the batch being committed. */
  private flushing: Promise<void> | null = null;
  /** Thread: the batches sent and not yet answered. */
  private readonly onThread = new Set<Promise<void>>();
  private closed = false;
  /** Highest position known to be committed (by us, another instance here, or seen by polling). */
  private knownHead = 0n;
  private waiters = new Set<{ after: bigint; wake: () => void }>();
  /** True from a read of the head to the end of that turn of the event loop (subscriptionHead). */
  private headFresh = false;
  private pollTimer: NodeJS.Timeout | null = null;
  private readonly subscriptions = new Set<SqliteAllSubscription>();
  /** The shared tail (null when disabled): see tailFor. */
  private readonly tail: SqliteTail | null;

  private readonly stmt: {
    head: Database.Statement<[], { head: number | null }>;
    read: Database.Statement<[string, bigint], RawRow>;
    /** Every row of (after, upTo], a page at most: what extends the tail. */
    tail: Database.Statement<[bigint, bigint], Row>;
  };
  /** writer 'inline': commits a batch on this thread. */
  private readonly commitInline: ((items: BatchItem[]) => BatchOutcome) | null = null;
  /** writer 'thread': how to start the writer thread (its script was found at construction)... */
  private readonly startThread: (() => SqliteWriter) | null = null;
  /** ...and the thread, which owns the write connection: started by the first append, so a store that only reads costs no thread. */
  private thread: SqliteWriter | null = null;
  /** Set when the writer thread died: every append since is refused with it. */
  private writerDied: Error | null = null;
  private readonly observer: EventStoreObserver | undefined;
  private readonly maxAppendBytes: number;
  /** A file's keys (SqliteDataKeyStore on the same file) can be stored with a new stream's first events. */
  readonly dataKeysLocation?: string;

  constructor(options: SqliteEventStoreOptions) {
    const memory = options.path === ':memory:' || options.path === '';
    this.file = memory ? null : resolve(options.path);
    if (this.file) mkdirSync(dirname(this.file), { recursive: true });
    if (this.file) this.dataKeysLocation = `sqlite:${this.file}`;
    this.pollIntervalMs = options.pollIntervalMs ?? 5;
    this.pageSize = options.pageSize ?? 1000;
    this.observer = options.observer;
    this.maxAppendBytes = options.maxAppendBytes ?? DEFAULT_MAX_APPEND_BYTES;
    const busyTimeoutMs = Math.trunc(options.busyTimeoutMs ?? 5000);
    const synchronous = options.synchronous ?? 'full';
    // An in-memory database is private to its connection: a thread could not share it.
    if (options.writer === 'thread' && !this.file)
      throw new TypeError("SqliteEventStore: writer 'thread' needs a file; ':memory:' is 'inline' only");
    this.writer = options.writer ?? (this.file ? 'thread' : 'inline');

    this.db = new Database(this.file ?? ':memory:', { timeout: busyTimeoutMs });
    this.db.pragma(`busy_timeout = ${busyTimeoutMs}`);
    if (this.file) this.db.pragma('journal_mode = WAL');
    this.db.pragma(`synchronous = ${synchronous === 'normal' ? 'NORMAL' : 'FULL'}`);
    const cacheSizeKib = Math.trunc(options.cacheSizeKib ?? SQLITE_CACHE_KIB);
    this.db.pragma(`cache_size = ${-cacheSizeKib}`);
    this.db.exec(SQLITE_SCHEMA);

    this.stmt = {
      head: this.db.prepare('SELECT max(position) AS head FROM events'),
      read: this.db
        .prepare<[string, bigint], RawRow>(`SELECT ${COLUMNS} FROM events WHERE stream_id = ? AND revision >= ? ORDER BY revision`)
        .raw(true),
      tail: this.db.prepare(`SELECT ${COLUMNS} FROM events WHERE position > ? AND position <= ? ORDER BY position LIMIT ${this.pageSize}`),
    };
    if (this.writer === 'thread') {
      const script = writerScript(); // a missing script fails here, at start, not at the first append
      const checkpointEveryMs = Math.max(0, Math.trunc(options.checkpointEveryMs ?? CHECKPOINT_EVERY_MS));
      const writerOptions = {
        path: this.file!,
        busyTimeoutMs,
        synchronous,
        cacheSizeKib,
        checkpointEveryMs,
        walAutocheckpoint: checkpointEveryMs > 0 ? CHECKPOINT_BACKSTOP_PAGES : SQLITE_AUTOCHECKPOINT_PAGES,
      };
      this.startThread = () =>
        new SqliteWriter(
          writerOptions,
          { onDeath: (error) => this.writerFailed(error), onTransaction: (stats) => this.observe(stats) },
          script,
        );
    } else {
      this.commitInline = batchCommitter(this.db);
    }

    this.knownHead = this.readHead();
    if (this.file) {
      let set = instancesByFile.get(this.file);
      if (!set) instancesByFile.set(this.file, (set = new Set()));
      set.add(this);
    }
    // Never fewer events than a page: one read that extends the tail must fit in it.
    const tailEvents = Math.trunc(options.tailEvents ?? 4096);
    const newTail = () => new SqliteTail(Math.max(tailEvents, this.pageSize), options.tailBytes ?? 16 * 1024 * 1024, this.knownHead);
    if (tailEvents <= 0) this.tail = null;
    else if (!this.file) this.tail = newTail();
    else {
      let tail = tailsByFile.get(this.file);
      if (!tail) tailsByFile.set(this.file, (tail = newTail()));
      this.tail = tail;
    }
  }

  append(stream: string, events: EventData[], options: AppendOptions): Promise<AppendResult> {
    if (this.closed) return Promise.reject(new Error('SqliteEventStore is closed'));
    if (this.writerDied) return Promise.reject(this.writerDied);
    if (events.length === 0) return Promise.reject(new TypeError(`append to ${stream}: no events to append`));
    let item: PendingAppend;
    const promise = new Promise<AppendResult>((resolve, reject) => {
      try {
        const seen = new Set<string>();
        const prepared = events.map((e) => {
          if (seen.has(e.id)) throw new DuplicateEventId(stream, e.id, 'appears twice in one append');
          seen.add(e.id);
          return { id: e.id, type: e.type, data: JSON.stringify(e.data ?? {}), metadata: JSON.stringify(e.metadata ?? {}) };
        });
        const bytes = appendSizeBytes(prepared);
        if (bytes > this.maxAppendBytes) throw new AppendTooLargeError(stream, bytes, this.maxAppendBytes);
        item = { stream, events: prepared, expected: options.expectedRevision, raw: events, resolve, reject };
        if (options.dataKeys?.length) item.dataKeys = options.dataKeys;
      } catch (error) {
        reject(error);
        return;
      }
      this.queue.push(item);
      this.scheduleFlush();
    });
    return promise;
  }

  async read(stream: string, options?: ReadOptions): Promise<RecordedEvent[]> {
    this.assertOpen();
    // Rows as arrays, no object per row (as the catch-up reads its pages, ADR 0025): a cold command
    // on a 200-event stream reads them all. (Not map(toRecordedRaw): map's index would be its date.)
    return this.stmt.read.all(stream, options?.fromRevision ?? 0n).map((row) => toRecordedRaw(row));
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
    while (this.queue.length > 0 || this.flushing || this.onThread.size > 0) {
      if (this.queue.length > 0 && !this.flushing) this.flush();
      await Promise.all([this.flushing, ...this.onThread]);
    }
    this.closed = true;
    await this.thread?.close();
    await Promise.all([...this.subscriptions].map((s) => s.close()));
    this.stopPolling();
    for (const w of this.waiters) w.wake();
    this.waiters.clear();
    if (this.file) {
      const set = instancesByFile.get(this.file);
      set?.delete(this);
      if (!set?.size) {
        instancesByFile.delete(this.file);
        tailsByFile.delete(this.file);
      }
    }
    this.db.close();
  }

  async headPosition(): Promise<bigint> {
    return this.readHead();
  }

  /**
   * The pragmas of the store's connections as SQLite reports them (page cache, synchronous, busy
   * timeout, autocheckpoint): the read connection's, and the write connection's, which is the writer
   * thread's when there is one (started here if no append has yet), else the same connection; and
   * the checkpointer thread's, when there is one.
   */
  async connectionSettings(): Promise<{ read: ConnectionSettings; write: ConnectionSettings; checkpointer?: ConnectionSettings }> {
    this.assertOpen();
    const read = connectionSettingsOf(this.db);
    if (!this.startThread) return { read, write: read };
    if (this.writerDied) throw this.writerDied;
    this.thread ??= this.startThread();
    const [write, checkpointer] = await Promise.all([this.thread.settings(), this.thread.checkpointerSettings()]);
    return checkpointer ? { read, write, checkpointer } : { read, write };
  }

  /** Ends the writer thread at once, as a crash would (tests of the failure path). */
  killWriterThread(): Promise<number> {
    if (!this.thread) throw new Error('SqliteEventStore: no writer thread is running (inline writer, or nothing appended yet)');
    return this.thread.terminate();
  }

  /** What the shared tail covers now, (from, to], and the events it holds; null without one (tests, diagnostics). */
  tailRange(): { from: bigint; to: bigint; events: number } | null {
    return this.tail && { from: this.tail.from, to: this.tail.to, events: this.tail.size };
  }

  // --- internals used by the subscription -------------------------------------------------------

  /** The highest committed position in the file (0n when empty). */
  readHead(): bigint {
    const head = this.stmt.head.get()?.head;
    const value = head == null ? 0n : BigInt(head);
    if (value > this.knownHead) this.observeHead(value);
    if (!this.headFresh) {
      this.headFresh = true;
      setImmediate(() => (this.headFresh = false));
    }
    return value;
  }

  /**
   * The head for a subscription's read: the one read in this turn of the event loop when there was
   * one (the poll that woke the subscriptions, or the first of them to look), else read now. The
   * subscriptions a poll wakes run in the same turn: one query serves them all.
   */
  subscriptionHead(): bigint {
    return this.headFresh ? this.knownHead : this.readHead();
  }

  /**
   * The shared tail, ready to serve a subscription that has read to `last` and reads to `head`:
   * extended by one unfiltered page when it ends before `head`, so the store's other subscriptions
   * find those rows there. Null when the subscription is behind it (catching up: it reads for itself
   * in pages, and neither fills nor churns the tail) or the store has none. A subscription ahead of
   * the tail (it read past it by itself) moves the tail to where it is.
   */
  tailFor(last: bigint, head: bigint): SqliteTail | null {
    const tail = this.tail;
    if (!tail || last < tail.from) return null;
    // A gap of more than a page from where the tail ends: begin a new tail here rather than read it.
    if (last - tail.to > BigInt(this.pageSize)) tail.reset(last);
    if (tail.to < head) {
      const rows = this.stmt.tail.all(tail.to, head);
      // A full page may stop short of the head: the tail covers up to its last row.
      tail.extend(rows, rows.length === this.pageSize ? BigInt(rows[rows.length - 1].position) : head);
    }
    // The byte bound may have dropped rows the subscription still needs.
    return last >= tail.from && last <= tail.to ? tail : null;
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

  /** Commits what is queued on the next turn of the event loop: everything appended in this one goes together. */
  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => this.flush());
  }

  private flush(): void {
    this.flushScheduled = false;
    const items = this.queue;
    if (items.length === 0) return;
    this.queue = [];
    if (this.writerDied) {
      for (const item of items) item.reject(this.writerDied);
      return;
    }
    if (this.startThread) {
      // Sent at once, even while an earlier batch is on the thread: the thread puts every batch
      // waiting for it into its next transaction (bigger transactions under load).
      this.thread ??= this.startThread();
      const sent: Promise<void> = this.thread.commit(items).then(
        (reply) => this.settle(items, fromThread(reply)),
        // The thread died with this batch in flight: it may or may not be stored.
        (error: unknown) => this.settle(items, { committed: false, error: this.writerDied ?? error }),
      );
      this.onThread.add(sent);
      void sent.finally(() => this.onThread.delete(sent));
      return;
    }
    let done!: () => void;
    this.flushing = new Promise<void>((r) => (done = r));
    const started = this.observer ? performance.now() : 0;
    let settled: Settled;
    try {
      settled = { committed: true, ...this.commitInline!(items) };
    } catch (error) {
      settled = { committed: false, error };
    }
    if (this.observer) {
      let events = 0;
      for (const item of items) events += item.events.length;
      this.observe({ appends: items.length, events, ms: performance.now() - started, committed: settled.committed });
    }
    this.settle(items, settled);
    this.flushing = null;
    done();
  }

  /** Tells the observer about one transaction (inline: one batch; thread: all the batches it held). */
  private observe(observation: CommitObservation): void {
    try {
      this.observer?.commit?.(observation);
    } catch {
      // Measuring must never fail an append.
    }
  }

  /** Answers every append of a batch (each its result or its own error; all of them the batch's error when it was not committed). */
  private settle(items: PendingAppend[], settled: Settled): void {
    let maxPosition = 0n;
    if (settled.committed) {
      for (let i = 0; i < items.length; i++) {
        const item = items[i];
        const outcome = settled.outcomes[i];
        if (outcome.kind === 'failed') {
          item.reject(outcome.error);
          continue;
        }
        const result = appendResultOf(outcome, item.stream, item.raw, settled.recordedAt);
        if (result.position > maxPosition) maxPosition = result.position;
        item.resolve(result);
      }
    } else {
      // BEGIN or COMMIT failed (busy past the timeout, disk full...): nothing of the batch is stored.
      for (const item of items) item.reject(settled.error);
    }
    if (maxPosition > 0n) {
      this.observeHead(maxPosition);
      // Committed, so the other instances' subscriptions may read to it without asking SQLite for the head.
      if (this.file)
        for (const other of instancesByFile.get(this.file) ?? [])
          if (other !== this) {
            other.observeHead(maxPosition);
            other.wakeAll();
          }
    }
  }

  /** The writer thread died: fail what waits for it, and refuse every append from now on. */
  private writerFailed(error: Error): void {
    this.writerDied = new Error(
      `${error.message}. Appends are refused until the process restarts (reads still work); an append that got this error ` +
        'may or may not be stored: retrying it with the same event ids after the restart is safe.',
      { cause: error },
    );
    const queued = this.queue;
    this.queue = [];
    for (const item of queued) item.reject(this.writerDied);
  }
}

/**
 * Catch-up in pages of `pageSize`, then live: woken by in-process appends, polling for others. Near
 * the head it reads from the store's shared tail (ADR 0024), filtering there as the SQL would.
 */
class SqliteAllSubscription extends PagedAllSubscription {
  /**
   * As the tail's read with the subscription's filter and the limit a parameter: the read when
   * behind the tail. Rows as arrays (no object per row: a catch-up reads millions).
   */
  private readonly batch: Database.Statement<unknown[], RawRow>;
  private readonly params: unknown[];
  private readonly match: EventMatch | null;
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
    this.match = eventMatch(options.filter);
    this.batch = db
      .prepare<unknown[], RawRow>(`SELECT ${COLUMNS} FROM events WHERE position > ? AND position <= ?${where} ORDER BY position LIMIT ?`)
      .raw(true);
  }

  /** The events after the last one returned, up to `max`, read in one query; waits only when none are committed yet. */
  async nextBatch(max: number): Promise<RecordedEvent[] | null> {
    const limit = this.startBatching(max);
    while (!this.closed && !this.store.isClosed()) {
      const head = this.store.subscriptionHead();
      while (this.last < head) {
        const { events, scannedTo } = this.read(head, limit);
        this.last = scannedTo;
        if (events.length > 0) return events;
      }
      await this.waitFor(this.store.waitForHeadAbove(this.last));
    }
    return null;
  }

  protected async *run(): AsyncGenerator<RecordedEvent, void, undefined> {
    const pageSize = this.store.pageSize;
    while (!this.closed && !this.store.isClosed()) {
      const head = this.store.subscriptionHead();
      while (this.last < head) {
        const { events, scannedTo } = this.read(head, pageSize);
        for (const event of events) {
          this.last = event.position;
          yield event;
          if (this.closed) return;
        }
        this.last = scannedTo;
      }
      await this.waitFor(this.store.waitForHeadAbove(this.last));
    }
  }

  /**
   * The matching events of (last, head], at most `limit`, and the position up to which every
   * matching one is among them: from the tail when it covers `last`, else one filtered query.
   */
  private read(head: bigint, limit: number): { events: RecordedEvent[]; scannedTo: bigint } {
    let tail = this.store.tailFor(this.last, head);
    if (tail) {
      const read = tail.collect(this.last, tail.to < head ? tail.to : head, limit, this.match);
      // The tail grows a page at a time: on to the head while the batch has room, as one query would.
      while (read.events.length < limit && read.scannedTo < head && (tail = this.store.tailFor(read.scannedTo, head))) {
        const more = tail.collect(read.scannedTo, tail.to < head ? tail.to : head, limit - read.events.length, this.match);
        for (const event of more.events) read.events.push(event);
        read.scannedTo = more.scannedTo;
      }
      return read;
    }
    const rows = this.batch.all(this.last, head, ...this.params, limit);
    // The rows of one commit share its time: one Date for each run of them (events are read-only).
    let at = '';
    let recordedAt!: Date;
    const events = rows.map((row) => {
      if (row[7] !== at) recordedAt = new Date((at = row[7]));
      return sharedEvent(toRecordedRaw(row, recordedAt));
    });
    // Fewer than asked: nothing else matches up to the head (other streams' events are skipped).
    return { events, scannedTo: rows.length < limit ? head : events[events.length - 1].position };
  }
}
