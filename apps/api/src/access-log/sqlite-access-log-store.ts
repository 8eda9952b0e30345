import type Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Page, PageRequest } from '@send/read-models';
import { AccessLogWriter, accessLogWriterScript } from './access-log-writer';
import type { AccessContext, AccessLogEntry, AccessLogFilter, AccessLogStore, AccessVia, AccessWhat } from './access-log.port';
import { accessLogInserter, createAccessLogSchema, openAccessLogDb, toWireEntry, type WireEntry } from './sqlite-access-log-schema';

interface Row {
  seq: number;
  at: number;
  user_id: string;
  role: string;
  what: AccessWhat;
  id: string;
  case_ref: string | null;
  team_id: string | null;
  context: AccessContext;
  via: AccessVia;
}

export interface SqliteAccessLogStoreOptions {
  /**
   * Where batches are committed: 'thread' (the default for a file) on a writer thread of their own,
   * so the api's event loop never waits on SQLite; 'inline' on the caller's thread (the only choice
   * for ':memory:', which belongs to its one connection). The api follows SQLITE_WRITER.
   */
  writer?: 'thread' | 'inline';
  /** How long a write waits for another connection's write lock before failing. Default 5000 ms. */
  busyTimeoutMs?: number;
}

/**
 * The access log in its own SQLite file (ACCESS_LOG_PATH), apart from the event store: the domain's
 * history is not mixed with who looked at it, and the two are backed up and kept for their own
 * periods. Append-only, enforced by the database itself (triggers refuse UPDATE and DELETE), WAL
 * and synchronous=NORMAL: an entry is durable at the next checkpoint, and a crash loses at most the
 * last few milliseconds of reads, never the file. Indexed for the three questions asked of it:
 * by case, by reader, by time (and by team, for a team manager's part of it).
 *
 * Writes run on a writer thread by default (ADR 0014, 2026-12-02): this thread keeps a connection
 * for the schema and the queries (WAL: it sees a batch as soon as the thread committed it). If the
 * thread dies, the batch it had is rejected (AccessLog keeps it and tries again) and the next batch
 * starts a new thread: unlike the event store's appends, a batch written twice is harmless here (the
 * same reads recorded twice), one never written is not.
 */
export class SqliteAccessLogStore implements AccessLogStore {
  private readonly db: Database.Database;
  private readonly insertAll: ((entries: readonly WireEntry[]) => void) | null = null;
  private readonly startWriter: (() => AccessLogWriter) | null = null;
  private writer: AccessLogWriter | null = null;
  readonly writerKind: 'thread' | 'inline';

  constructor(path: string, options: SqliteAccessLogStoreOptions = {}) {
    const file = path !== ':memory:';
    if (options.writer === 'thread' && !file)
      throw new TypeError("SqliteAccessLogStore: writer 'thread' needs a file; ':memory:' is 'inline' only");
    this.writerKind = options.writer ?? (file ? 'thread' : 'inline');
    const busyTimeoutMs = options.busyTimeoutMs ?? 5000;
    if (file) mkdirSync(dirname(path), { recursive: true });
    this.db = openAccessLogDb(path, busyTimeoutMs);
    if (file) this.db.pragma('journal_mode = WAL');
    createAccessLogSchema(this.db);
    if (this.writerKind === 'inline') {
      this.insertAll = accessLogInserter(this.db);
    } else {
      const script = accessLogWriterScript(); // a missing script fails here, at start, not at the first read
      // The thread starts with the first batch: a store that is only queried (a CLI, a test) has none.
      this.startWriter = () => new AccessLogWriter({ path, busyTimeoutMs }, script);
    }
  }

  async append(entries: readonly AccessLogEntry[]): Promise<void> {
    if (entries.length === 0) return;
    if (!this.db.open) throw new Error('SqliteAccessLogStore: closed');
    const wire = entries.map(toWireEntry);
    if (this.insertAll) return this.insertAll(wire);
    if (!this.writer || this.writer.dead) this.writer = this.startWriter!();
    await this.writer.append(wire);
  }

  /** Ends the writer thread at once, as a crash would (tests of the failure path). */
  killWriterThread(): Promise<number> {
    if (!this.writer) throw new Error('SqliteAccessLogStore: no writer thread is running (inline writer, or nothing appended yet)');
    return this.writer.terminate();
  }

  async query(filter: AccessLogFilter, page: PageRequest): Promise<Page<AccessLogEntry>> {
    const where: string[] = [];
    const params: Record<string, string | number> = { limit: page.limit + 1 };
    if (filter.caseRef !== undefined) (where.push('case_ref = @caseRef'), (params.caseRef = filter.caseRef));
    if (filter.userId !== undefined) (where.push('user_id = @userId'), (params.userId = filter.userId));
    if (filter.teamId !== undefined) (where.push('team_id = @teamId'), (params.teamId = filter.teamId));
    if (filter.from !== undefined) (where.push('at >= @from'), (params.from = filter.from.getTime()));
    if (filter.to !== undefined) (where.push('at < @to'), (params.to = filter.to.getTime()));
    if (page.after) {
      // Newest first: the next page starts strictly before the cursor's (at, seq).
      where.push('(at < @afterAt OR (at = @afterAt AND seq < @afterSeq))');
      params.afterAt = page.after.score;
      params.afterSeq = Number(page.after.id);
    }
    const rows = this.db
      .prepare(`SELECT * FROM access_log ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY at DESC, seq DESC LIMIT @limit`)
      .all(params) as Row[];
    const shown = rows.slice(0, page.limit);
    const last = shown.at(-1);
    return {
      items: shown.map(entryOf),
      next: rows.length > page.limit && last ? { score: last.at, id: String(last.seq) } : null,
    };
  }

  /** Closes the writer thread (after the batch it has) and the connection. */
  async close(): Promise<void> {
    const writer = this.writer;
    this.writer = null;
    await writer?.close();
    if (this.db.open) this.db.close();
  }
}

const entryOf = (r: Row): AccessLogEntry => ({
  at: new Date(r.at),
  userId: r.user_id,
  role: r.role,
  what: r.what,
  id: r.id,
  caseRef: r.case_ref,
  teamId: r.team_id,
  context: r.context,
  via: r.via,
});
