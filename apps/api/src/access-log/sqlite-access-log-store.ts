import type Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Page, PageCursor, PageRequest } from '@send/read-models';
import { AccessLogWriter, accessLogWriterScript } from './access-log-writer';
import type { AccessContext, AccessLogEntry, AccessLogFilter, AccessLogStore, AccessVia, PackedItem, PackedRead } from './access-log.port';
import { accessLogWriter, CASE_INDEXING, createAccessLogSchema, type CaseIndexing, openAccessLogDb } from './sqlite-access-log-schema';

/** A read's row as the queries answer it. */
interface ReadRow {
  seq: number;
  at: number;
  user_id: string;
  role: string;
  context: AccessContext;
  via: AccessVia;
  items: string;
}

/** Where the next page starts: before item `item` of the read `seq` at `at` (that read's items before it, then older reads). */
interface Position {
  at: number;
  seq: number;
  item: number;
}

/** Reads fetched at a time while a page is filled (each gives at least one entry, but for a case and a team together). */
const READS_PER_FETCH = 100;

export interface SqliteAccessLogStoreOptions {
  /**
   * Where batches are committed: 'thread' (the default for a file) on a writer thread of their own,
   * so the api's event loop never waits on SQLite; 'inline' on the caller's thread (the only choice
   * for ':memory:', which belongs to its one connection). The api follows SQLITE_WRITER.
   */
  writer?: 'thread' | 'inline';
  /** How long a write waits for another connection's write lock before failing. Default 5000 ms. */
  busyTimeoutMs?: number;
  /** When the by-case index is brought up to date (tests); default CASE_INDEXING. */
  caseIndexing?: CaseIndexing;
}

/**
 * The access log in its own SQLite file (ACCESS_LOG_PATH), apart from the event store: the domain's
 * history is not mixed with who looked at it, and the two are backed up and kept for their own
 * periods. Append-only, enforced by the database itself (triggers refuse UPDATE and DELETE), WAL
 * and synchronous=NORMAL: an entry is durable at the next checkpoint, and a crash loses at most the
 * last few milliseconds of reads, never the file. A row is one read, its items kept on it (ADR 0014,
 * 2026-12-04; sqlite-access-log-schema.ts), indexed for the three questions asked of it: by case
 * (in bulk), by reader, by time (and by team, for a team manager's part of it).
 *
 * Writes run on a writer thread by default (ADR 0014, 2026-12-02): this thread keeps a connection
 * for the schema and the queries (WAL: it sees a batch as soon as the thread committed it). If the
 * thread dies, the batch it had is rejected (AccessLog keeps it and tries again) and the next batch
 * starts a new thread: unlike the event store's appends, a batch written twice is harmless here (the
 * same reads recorded twice), one never written is not.
 */
export class SqliteAccessLogStore implements AccessLogStore {
  private readonly db: Database.Database;
  private readonly writeInline: ((reads: readonly PackedRead[]) => void) | null = null;
  private readonly startWriter: (() => AccessLogWriter) | null = null;
  private writer: AccessLogWriter | null = null;
  readonly writerKind: 'thread' | 'inline';
  /** Rows moved from a file written before 2026-12-04 when it was opened (ADR 0014): 0 for a new or current file. */
  readonly migratedRows: number;

  constructor(path: string, options: SqliteAccessLogStoreOptions = {}) {
    const file = path !== ':memory:';
    if (options.writer === 'thread' && !file)
      throw new TypeError("SqliteAccessLogStore: writer 'thread' needs a file; ':memory:' is 'inline' only");
    this.writerKind = options.writer ?? (file ? 'thread' : 'inline');
    const busyTimeoutMs = options.busyTimeoutMs ?? 5000;
    const caseIndexing = options.caseIndexing ?? CASE_INDEXING;
    if (file) mkdirSync(dirname(path), { recursive: true });
    this.db = openAccessLogDb(path, busyTimeoutMs);
    if (file) this.db.pragma('journal_mode = WAL');
    this.migratedRows = createAccessLogSchema(this.db);
    if (this.writerKind === 'inline') {
      this.writeInline = accessLogWriter(this.db, caseIndexing);
    } else {
      const script = accessLogWriterScript(); // a missing script fails here, at start, not at the first read
      // The thread starts with the first batch: a store that is only queried (a CLI, a test) has none.
      this.startWriter = () => new AccessLogWriter({ path, busyTimeoutMs, caseIndexing }, script);
    }
  }

  async append(reads: readonly PackedRead[]): Promise<void> {
    if (reads.length === 0) return;
    if (!this.db.open) throw new Error('SqliteAccessLogStore: closed');
    if (this.writeInline) return this.writeInline(reads);
    if (!this.writer || this.writer.dead) this.writer = this.startWriter!();
    await this.writer.append(reads);
  }

  /** Ends the writer thread at once, as a crash would (tests of the failure path). */
  killWriterThread(): Promise<number> {
    if (!this.writer) throw new Error('SqliteAccessLogStore: no writer thread is running (inline writer, or nothing appended yet)');
    return this.writer.terminate();
  }

  /**
   * The entries after the cursor, newest first: reads fetched a few at a time from the index that
   * narrows them most (case, team, reader or time), each read's items from its last, those of
   * another case or team skipped.
   */
  async query(filter: AccessLogFilter, page: PageRequest): Promise<Page<AccessLogEntry>> {
    const entries: AccessLogEntry[] = [];
    /** Where the page's last entry stands: the next page starts after it. */
    let lastShown: Position | null = null;
    let after = page.after ? positionOf(page.after) : null;
    for (;;) {
      const reads = this.readsFrom(filter, after, READS_PER_FETCH);
      for (const read of reads) {
        const items = JSON.parse(read.items) as PackedItem[];
        let item = after && read.at === after.at && read.seq === after.seq ? after.item : items.length;
        while (item-- > 0 && entries.length <= page.limit) {
          const [what, id, caseRef, teamId] = items[item];
          if (filter.caseRef !== undefined && caseRef !== filter.caseRef) continue;
          if (filter.teamId !== undefined && teamId !== filter.teamId) continue;
          entries.push({
            at: new Date(read.at),
            userId: read.user_id,
            role: read.role,
            what,
            id,
            caseRef,
            teamId,
            context: read.context,
            via: read.via,
          });
          if (entries.length === page.limit) lastShown = { at: read.at, seq: read.seq, item };
        }
      }
      if (entries.length > page.limit || reads.length < READS_PER_FETCH) break;
      const last = reads.at(-1)!;
      after = { at: last.at, seq: last.seq, item: 0 };
    }
    return {
      items: entries.slice(0, page.limit),
      next: entries.length > page.limit && lastShown ? { score: lastShown.at, id: `${lastShown.seq}.${lastShown.item}` } : null,
    };
  }

  /**
   * Up to `count` reads at or before `after` (the read at it included: some of its items may be left),
   * newest first, that can hold an entry for the filter. By case: the reads its index holds, and the
   * newest reads not indexed yet (after `cases_indexed_to`: by default at most a second's, or 50,000
   * entries) that show it, in one statement, so one snapshot of the file. Each side in the order of
   * its walk, so SQLite merges the two and stops at `count`: the index's (at, seq) on the left (its
   * own columns, not the read's), the rows after the mark by their sequence number on the right
   * (NOT INDEXED: else it scans the whole table by time for the order).
   */
  private readsFrom(filter: AccessLogFilter, after: Position | null, count: number): ReadRow[] {
    const params: Record<string, string | number> = { count };
    if (filter.caseRef !== undefined) {
      params.caseRef = filter.caseRef;
      params.caseRefJson = JSON.stringify(filter.caseRef);
    }
    if (filter.teamId !== undefined) params.teamId = filter.teamId;
    if (filter.userId !== undefined) params.userId = filter.userId;
    if (filter.from !== undefined) params.from = filter.from.getTime();
    if (filter.to !== undefined) params.to = filter.to.getTime();
    if (after) ((params.afterAt = after.at), (params.afterSeq = after.seq));
    /** The conditions on a table holding (at, seq) as `t`: time range and cursor, so the index walk starts there. */
    const window = (t: string) =>
      [
        filter.from !== undefined ? `${t}.at >= @from` : '',
        filter.to !== undefined ? `${t}.at < @to` : '',
        after ? `(${t}.at < @afterAt OR (${t}.at = @afterAt AND ${t}.seq <= @afterSeq))` : '',
      ].filter(Boolean);
    const where = (conditions: string[]) => (conditions.length ? `WHERE ${conditions.join(' AND ')}` : '');
    const byUser = filter.userId !== undefined ? ['r.user_id = @userId'] : [];
    let sql: string;
    if (filter.caseRef !== undefined) {
      const team =
        filter.teamId !== undefined
          ? ['EXISTS (SELECT 1 FROM access_read_team t WHERE t.team_id = @teamId AND t.at = r.at AND t.seq = r.seq)']
          : [];
      sql = `
        SELECT * FROM (
          SELECT c.seq, c.at, r.user_id, r.role, r.context, r.via, r.items FROM access_read_case c JOIN access_read r ON r.seq = c.seq
          ${where(['c.case_ref = @caseRef', ...window('c'), ...byUser, ...team])}
          UNION ALL
          SELECT r.seq, r.at, r.user_id, r.role, r.context, r.via, r.items FROM access_read r NOT INDEXED
          ${where([
            `r.seq > (SELECT value FROM access_log_meta WHERE key = 'cases_indexed_to')`,
            // The case's JSON text is in the items' text wherever it is an item's case (the writer
            // stores JSON.stringify's): a search of the text passes over most reads before any is parsed.
            'instr(r.items, @caseRefJson) > 0',
            'EXISTS (SELECT 1 FROM json_each(r.items) item WHERE item.value ->> 2 = @caseRef)',
            ...window('r'),
            ...byUser,
            ...team,
          ])}
        ) ORDER BY at DESC, seq DESC LIMIT @count`;
    } else if (filter.teamId !== undefined) {
      sql = `SELECT r.* FROM access_read_team t JOIN access_read r ON r.seq = t.seq
        ${where(['t.team_id = @teamId', ...window('t'), ...byUser])} ORDER BY t.at DESC, t.seq DESC LIMIT @count`;
    } else {
      sql = `SELECT r.* FROM access_read r ${where([...window('r'), ...byUser])} ORDER BY r.at DESC, r.seq DESC LIMIT @count`;
    }
    return this.db.prepare(sql).all(params) as ReadRow[];
  }

  /** Closes the writer thread (after the batch it has) and the connection. */
  async close(): Promise<void> {
    const writer = this.writer;
    this.writer = null;
    await writer?.close();
    if (this.db.open) this.db.close();
  }
}

/** A page's cursor as a position: `${seq}.${item}`, or a plain `${seq}` from before 2026-12-04 (after every item of that read). */
function positionOf(after: PageCursor): Position {
  const [seq, item] = after.id.split('.');
  return { at: after.score, seq: Number(seq), item: item === undefined ? 0 : Number(item) };
}
