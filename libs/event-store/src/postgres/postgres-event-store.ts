import { retriedAppendResult } from '../idempotent-retry';
import { Client, Pool, escapeLiteral, type PoolClient, type QueryResult } from 'pg';
import {
  AppendTooLargeError,
  DEFAULT_MAX_APPEND_BYTES,
  DuplicateEventId,
  WrongExpectedRevision,
  appendSizeBytes,
  type AllSubscription,
  type AppendResult,
  type EventData,
  type EventStore,
  type ExpectedRevision,
  type ReadOptions,
  type RecordedEvent,
  type SubscribeToAllOptions,
  type SubscriptionFilter,
} from '../event-store.port';
import { PagedAllSubscription } from '../paged-all-subscription';
import { POSITION_TX_SHIFT, migrate, quoteIdentifier } from './postgres-schema';

/**
 * An EventStore on PostgreSQL through node-postgres (`pg`), for councils that run PostgreSQL
 * already (managed, replicated, backed up). Same port and contract suite as SQLite.
 *
 * Appends: one transaction each, holding a transaction-scoped advisory lock on the stream, so the
 * expected-revision check, the idempotency check and the insert see one state of the stream; the
 * unique (stream_id, revision) and unique id constraints stand behind them. Appends to different
 * streams never wait for each other.
 *
 * Global order (ADR 0012): transactions commit out of order, so a plain sequence would let a
 * subscriber deliver position n+1 and checkpoint past n while n's transaction is still open. Here
 * a position is (writing transaction id << 20) + ordinal, the (transaction id, position) order of
 * Emmett's PostgreSQL store packed in one bigint, and readers read only positions below
 * `pg_snapshot_xmin(pg_current_snapshot()) << 20`: every transaction with a smaller id has ended, so
 * no event can ever appear below what a reader has passed. An open write transaction anywhere in
 * the cluster holds delivery back (not appends) until it ends.
 *
 * Live subscriptions wait for a NOTIFY sent right after each append's commit, in the same round trip, on
 * one listening connection per store, reconnected when lost, with a poll every `pollIntervalMs` as
 * the fallback (a lost notification, an unrelated transaction that held the horizon back).
 */
export interface PostgresEventStoreOptions {
  /** A postgres:// connection string. */
  url: string;
  /** The schema holding the store's tables, created and migrated at start. Default send_events. */
  schema?: string;
  /** Connections in the pool (appends, reads, catch-up pages), besides the listening one. Default 10. */
  poolSize?: number;
  /** How often a waiting live subscription looks again without a notification. Default 500 ms. */
  pollIntervalMs?: number;
  /** Events per catch-up page. Default 1000. */
  pageSize?: number;
  /** The largest append accepted, in bytes (see appendSizeBytes). Default DEFAULT_MAX_APPEND_BYTES. */
  maxAppendBytes?: number;
}

interface Row {
  position: string;
  id: string;
  stream_id: string;
  revision: string;
  type: string;
  data: Record<string, unknown>;
  metadata: Record<string, unknown>;
  recorded_at: Date;
}

/** An append validated and serialised, ready for appendInTransaction. */
interface PreparedAppend {
  stream: string;
  events: { id: string; type: string; data: string; metadata: string }[];
  expected: ExpectedRevision;
}

const COLUMNS = 'position, id, stream_id, revision, type, data, metadata, recorded_at';
const UNIQUE_VIOLATION = '23505';

export class PostgresEventStore implements EventStore {
  readonly schema: string;
  readonly pageSize: number;
  private readonly table: string;
  private readonly channel: string;
  private readonly pool: Pool;
  private migrated: Promise<void> | null = null;
  private readonly pollIntervalMs: number;
  private readonly maxAppendBytes: number;
  private readonly url: string;
  private closed = false;
  private readonly appending = new Set<Promise<unknown>>();
  private readonly subscriptions = new Set<PostgresAllSubscription>();
  /** Bumped by every notification (and reconnect): a waiter that saw an older value looks again at once. */
  private generation = 0;
  private readonly waiters = new Set<() => void>();
  private listener: Client | null = null;
  private listening: Promise<void> | null = null;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private reconnectDelayMs = 100;

  constructor(options: PostgresEventStoreOptions) {
    this.url = options.url;
    this.schema = options.schema ?? 'send_events';
    const quoted = quoteIdentifier(this.schema);
    this.table = `${quoted}.events`;
    this.channel = `${this.schema}_appended`;
    this.pageSize = options.pageSize ?? 1000;
    this.pollIntervalMs = options.pollIntervalMs ?? 500;
    this.maxAppendBytes = options.maxAppendBytes ?? DEFAULT_MAX_APPEND_BYTES;
    this.pool = new Pool({ connectionString: options.url, max: options.poolSize ?? 10 });
    // An idle pooled connection that the server drops emits 'error' on the pool: the pool replaces it.
    this.pool.on('error', () => undefined);
    // Migrate now; a failure (the server not up yet) is retried by the next call, which reports it.
    this.ready().catch(() => undefined);
  }

  async append(stream: string, events: EventData[], options: { expectedRevision: ExpectedRevision }): Promise<AppendResult> {
    const prepared = this.prepare(stream, events, options.expectedRevision);
    this.assertOpen();
    const work = this.appendInOwnTransaction(prepared);
    this.appending.add(work);
    try {
      return await work;
    } finally {
      this.appending.delete(work);
    }
  }

  /**
   * The append's statements inside a transaction the caller opened on `client` (BEGIN) and will end.
   * append() uses it in its own transaction; the out-of-order commit test holds one open with it.
   */
  async appendInTransaction(
    client: PoolClient | Client,
    stream: string,
    events: EventData[],
    options: { expectedRevision: ExpectedRevision },
  ): Promise<AppendResult> {
    await this.ready();
    return this.appendWithin(client, this.prepare(stream, events, options.expectedRevision), { begin: false });
  }

  async read(stream: string, options?: ReadOptions): Promise<RecordedEvent[]> {
    this.assertOpen();
    await this.ready();
    const { rows } = await this.pool.query<Row>(
      `SELECT ${COLUMNS} FROM ${this.table} WHERE stream_id = $1 AND revision >= $2 ORDER BY revision`,
      [stream, String(options?.fromRevision ?? 0n)],
    );
    return rows.map(toRecorded);
  }

  subscribeToAll(options: SubscribeToAllOptions): AllSubscription {
    this.assertOpen();
    const sub = new PostgresAllSubscription(this, options, () => this.subscriptions.delete(sub));
    this.subscriptions.add(sub);
    return sub;
  }

  async headPosition(): Promise<bigint> {
    this.assertOpen();
    await this.ready();
    const { rows } = await this.pool.query<{ head: string | null }>(`SELECT max(position) AS head FROM ${this.table}`);
    return rows[0]?.head == null ? 0n : BigInt(rows[0].head);
  }

  async ping(): Promise<void> {
    this.assertOpen();
    await this.ready();
    await this.pool.query(`SELECT 1 FROM ${this.table} LIMIT 1`);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // A caller that got no error must not lose its append: let the appends in flight finish.
    await Promise.allSettled([...this.appending]);
    await Promise.all([...this.subscriptions].map((s) => s.close()));
    this.wakeAll();
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    const listener = this.listener;
    this.listener = null;
    await listener?.end().catch(() => undefined);
    await this.migrated?.catch(() => undefined);
    await this.pool.end();
  }

  // --- internals used by the subscription -------------------------------------------------------

  isClosed(): boolean {
    return this.closed;
  }

  /** The notification count now: pass it to waitForAppend after reading, so nothing is missed between. */
  get notifications(): number {
    return this.generation;
  }

  /**
   * One page of $all after `after`, only below the horizon (every transaction below it has ended),
   * with the horizon itself: everything up to it has been read once fewer than `limit` rows come back.
   */
  async page(
    after: bigint,
    limit: number,
    filter: { where: string; params: unknown[] },
  ): Promise<{ events: RecordedEvent[]; horizon: bigint }> {
    await this.ready();
    const params = [String(after), limit, ...filter.params];
    const { rows } = await this.pool.query<Row & { horizon: string }>(
      `WITH h AS (SELECT (pg_snapshot_xmin(pg_current_snapshot())::text::bigint << ${POSITION_TX_SHIFT}) AS horizon)
       SELECT h.horizon, e.* FROM h LEFT JOIN LATERAL (
         SELECT ${COLUMNS} FROM ${this.table}
         WHERE position > $1 AND position < h.horizon${filter.where}
         ORDER BY position LIMIT $2
       ) e ON true`,
      params,
    );
    const horizon = BigInt(rows[0].horizon) - 1n;
    const events = rows[0].position == null ? [] : rows.map(toRecorded);
    return { events, horizon };
  }

  /** Resolves on the next notification after `seen`, after `pollIntervalMs`, or on close. */
  waitForAppend(seen: number): Promise<void> {
    if (this.closed || this.generation !== seen) return Promise.resolve();
    this.listen();
    return new Promise<void>((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.waiters.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, this.pollIntervalMs);
      timer.unref();
      this.waiters.add(wake);
    });
  }

  // --- appending -------------------------------------------------------------------------------

  private prepare(stream: string, events: EventData[], expected: ExpectedRevision): PreparedAppend {
    if (events.length === 0) throw new TypeError(`append to ${stream}: no events to append`);
    const seen = new Set<string>();
    const prepared = events.map((e) => {
      if (seen.has(e.id)) throw new DuplicateEventId(stream, e.id, 'appears twice in one append');
      seen.add(e.id);
      return { id: e.id, type: e.type, data: JSON.stringify(e.data ?? {}), metadata: JSON.stringify(e.metadata ?? {}) };
    });
    const bytes = appendSizeBytes(prepared);
    if (bytes > this.maxAppendBytes) throw new AppendTooLargeError(stream, bytes, this.maxAppendBytes);
    return { stream, events: prepared, expected };
  }

  private async appendInOwnTransaction(item: PreparedAppend): Promise<AppendResult> {
    await this.ready();
    return this.withClient(async (client) => {
      const outcome = { committed: false };
      try {
        return await this.appendWithin(client, item, { begin: true, commit: outcome });
      } finally {
        // A no-op retry or a refused append ends here with nothing written; so does a failed insert.
        if (!outcome.committed) await client.query('ROLLBACK').catch(() => undefined);
      }
    });
  }

  /**
   * Checks and inserts one append in a transaction (mirrors SqliteEventStore.applyAppend), in two
   * round trips: [BEGIN;] lock; read, then insert[; COMMIT]; NOTIFY. Both are simple-protocol queries, so
   * values travel as escaped literals (escapeLiteral); each statement gets its own snapshot. With
   * `commit`, the insert commits in the same round trip and sets `commit.committed`.
   */
  private async appendWithin(
    client: PoolClient | Client,
    item: PreparedAppend,
    options: { begin: boolean; commit?: { committed: boolean } },
  ): Promise<AppendResult> {
    const { stream, events } = item;
    const streamLiteral = escapeLiteral(stream);
    // The lock is its own statement: in READ COMMITTED the next statement's snapshot is taken after
    // the lock is ours, so it sees everything the previous holder committed.
    const read = await client.query(
      `${options.begin ? 'BEGIN; ' : ''}SELECT pg_advisory_xact_lock(hashtextextended(${escapeLiteral(`${this.schema}:${stream}`)}, 0));
       SELECT h.head, e.* FROM (SELECT max(revision) AS head FROM ${this.table} WHERE stream_id = ${streamLiteral}) h
       LEFT JOIN ${this.table} e ON e.id = ANY(ARRAY[${events.map((e) => escapeLiteral(e.id)).join(', ')}]::text[])`,
    );
    const rows = lastResult<Partial<Row> & { head: string | null }>(read).rows;
    const stored = new Map<string, Row>();
    for (const row of rows) if (row.id != null) stored.set(row.id, row as Row);

    const first = stored.get(events[0].id);
    if (first) return idempotentResult(item, first, stored);

    const current = rows[0].head == null ? ('no_stream' as const) : BigInt(rows[0].head);
    const expected = item.expected;
    if (expected === 'no_stream' ? current !== 'no_stream' : expected !== 'any' && expected !== current) {
      throw new WrongExpectedRevision(stream, expected, current);
    }
    for (let i = 1; i < events.length; i++) {
      if (stored.has(events[i].id)) {
        throw new DuplicateEventId(
          stream,
          events[i].id,
          'is already stored while earlier ids of this append are new: a partly-overlapping append is refused',
        );
      }
    }

    const base = current === 'no_stream' ? -1n : current;
    const values = events
      .map((e, i) => `(${i + 1}, ${escapeLiteral(e.id)}, ${escapeLiteral(e.type)}, ${escapeLiteral(e.data)}, ${escapeLiteral(e.metadata)})`)
      .join(',\n');
    // The NOTIFY goes AFTER our COMMIT, in its own statement: a transaction that notifies holds a
    // cluster-wide lock from its commit until the end, so notifying inside the append would
    // serialise every append's WAL flush (measured: 8 writers no faster than 1). A lost notification
    // (the process dies in between) costs a subscriber one poll interval. In the caller's own
    // transaction, it is delivered at the caller's COMMIT.
    const notify = `${options.commit ? 'COMMIT; ' : ''}SELECT pg_notify(${escapeLiteral(this.channel)}, '')`;
    let written: QueryResult | QueryResult[];
    try {
      written = await client.query(
        `WITH tx AS (SELECT pg_current_xact_id()::text::bigint << ${POSITION_TX_SHIFT} AS first),
         used AS (SELECT coalesce(max(e.position), tx.first) AS last FROM tx LEFT JOIN ${this.table} e
                  ON e.position > tx.first AND e.position < tx.first + ${1 << POSITION_TX_SHIFT} GROUP BY tx.first),
         ins AS (
           INSERT INTO ${this.table} (position, id, stream_id, revision, type, data, metadata)
           SELECT used.last + n.ord, n.id, ${streamLiteral}, ${base} + n.ord, n.type, n.data::jsonb, n.metadata::jsonb
           FROM used, (VALUES ${values}) AS n(ord, id, type, data, metadata)
           RETURNING ${COLUMNS}
         )
         SELECT ins.* FROM ins ORDER BY ins.position; ${notify}`,
      );
    } catch (error) {
      // Behind the stream lock only a concurrent append of one of these ids to ANOTHER stream can collide.
      if ((error as { code?: string }).code === UNIQUE_VIOLATION && (error as { constraint?: string }).constraint === 'events_id_key') {
        throw new DuplicateEventId(
          stream,
          events[0].id,
          'was stored in another stream at the same moment (event ids are unique per store)',
        );
      }
      throw error;
    }
    if (options.commit) options.commit.committed = true;
    const recorded = (Array.isArray(written) ? written[0] : written).rows.map(toRecorded);
    const last = recorded[recorded.length - 1];
    return { nextRevision: last.revision, position: last.position, events: recorded };
  }

  /** The schema created and migrated, once per store; retried after a failure. */
  private ready(): Promise<void> {
    this.migrated ??= this.withClient((client) => migrate(client, this.schema)).then(
      () => undefined,
      (error: unknown) => {
        this.migrated = null;
        throw error;
      },
    );
    return this.migrated;
  }

  // --- connections -----------------------------------------------------------------------------

  private async withClient<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let broken: Error | undefined;
    try {
      return await work(client);
    } catch (error) {
      // A connection error (no SQLSTATE, not ours) leaves the client unusable: the pool must not hand it out again.
      const ours = error instanceof WrongExpectedRevision || error instanceof DuplicateEventId;
      if (!ours && !(error as { code?: string }).code) broken = error as Error;
      throw error;
    } finally {
      client.release(broken);
    }
  }

  /** Starts the listening connection once; on loss, reconnects with backoff and wakes every waiter. */
  private listen(): void {
    if (this.listening || this.closed) return;
    const client = new Client({ connectionString: this.url });
    this.listener = client;
    const lost = () => {
      if (this.listener !== client) return;
      this.listener = null;
      this.listening = null;
      client.end().catch(() => undefined);
      if (this.closed) return;
      // Until it is back, waiters poll; once back, they look at once (notifications may have been missed).
      this.reconnectTimer = setTimeout(() => {
        this.reconnectTimer = null;
        if (this.subscriptions.size > 0) this.listen();
      }, this.reconnectDelayMs);
      this.reconnectTimer.unref();
      this.reconnectDelayMs = Math.min(this.reconnectDelayMs * 2, 5000);
    };
    client.on('error', lost);
    client.on('end', lost);
    client.on('notification', () => this.wakeAll());
    this.listening = client
      .connect()
      .then(() => client.query(`LISTEN ${quoteIdentifier(this.channel)}`))
      .then(() => {
        this.reconnectDelayMs = 100;
        this.wakeAll();
      })
      .catch(lost);
  }

  private wakeAll(): void {
    this.generation += 1;
    for (const wake of [...this.waiters]) wake();
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('PostgresEventStore is closed');
  }
}

/** The first id is already stored: a retry only if the whole append is (the shared rule). */
function idempotentResult(item: PreparedAppend, first: Row, stored: Map<string, Row>): AppendResult {
  return retriedAppendResult(item.stream, item.events.map((e) => e.id), first, (id) => stored.get(id), toRecorded);
}

/** A multi-statement query answers with one result per statement: the last is the one we asked for. */
function lastResult<T extends object>(result: QueryResult | QueryResult[]): QueryResult<T> {
  return (Array.isArray(result) ? result[result.length - 1] : result) as QueryResult<T>;
}

function toRecorded(row: Row): RecordedEvent {
  return {
    id: row.id,
    streamId: row.stream_id,
    type: row.type,
    revision: BigInt(row.revision),
    position: BigInt(row.position),
    data: row.data,
    metadata: row.metadata,
    recordedAt: row.recorded_at,
  };
}

/** Catch-up in pages below the horizon, then live: woken by NOTIFY, polling as the fallback. */
class PostgresAllSubscription extends PagedAllSubscription {
  private readonly filter: { where: string; params: unknown[] };
  private last: bigint;

  constructor(
    private readonly store: PostgresEventStore,
    options: SubscribeToAllOptions,
    onClose: () => void,
  ) {
    super(onClose);
    this.last = options.from === 'start' ? 0n : options.from;
    this.filter = filterSql(options.filter);
  }

  async nextBatch(max: number): Promise<RecordedEvent[] | null> {
    return this.next(this.startBatching(max));
  }

  protected async *run(): AsyncGenerator<RecordedEvent, void, undefined> {
    for (;;) {
      const events = await this.next(this.store.pageSize);
      if (events === null) return;
      for (const event of events) {
        yield event;
        if (this.closed) return;
      }
    }
  }

  /** The next events after the last returned (at most `limit`), waiting while there are none; null once closed. */
  private async next(limit: number): Promise<RecordedEvent[] | null> {
    while (!this.closed && !this.store.isClosed()) {
      const seen = this.store.notifications;
      const { events, horizon } = await this.store.page(this.last, limit, this.filter);
      if (this.closed) return null;
      if (events.length > 0) this.last = events[events.length - 1].position;
      // Fewer than asked: nothing else matches below the horizon, so later pages start there.
      if (events.length < limit && horizon > this.last) this.last = horizon;
      if (events.length > 0) return events;
      await this.waitFor(this.store.waitForAppend(seen));
    }
    return null;
  }
}

function filterSql(filter?: SubscriptionFilter): { where: string; params: unknown[] } {
  // $1 and $2 are the page's position and limit.
  if (filter?.streamPrefixes?.length === 0 || filter?.eventTypes?.length === 0) return { where: ' AND false', params: [] };
  let where = '';
  const params: unknown[] = [];
  if (filter?.streamPrefixes) {
    params.push(filter.streamPrefixes);
    // starts_with, not LIKE: a prefix may hold % or _.
    where += ` AND EXISTS (SELECT 1 FROM unnest($${params.length + 2}::text[]) AS p(prefix) WHERE starts_with(stream_id, p.prefix))`;
  }
  if (filter?.eventTypes) {
    params.push(filter.eventTypes);
    where += ` AND type = ANY($${params.length + 2}::text[])`;
  }
  return { where, params };
}
