import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { SQLITE_CACHE_KIB } from '@send/event-store';
import type { Page, PageRequest } from '@send/read-models';
import type { AccessContext, AccessLogEntry, AccessLogFilter, AccessLogStore, AccessVia, AccessWhat } from './access-log.port';

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

/**
 * The access log in its own SQLite file (ACCESS_LOG_PATH), apart from the event store: the domain's
 * history is not mixed with who looked at it, and the two are backed up and kept for their own
 * periods. Append-only, enforced by the database itself (triggers refuse UPDATE and DELETE), WAL
 * and synchronous=NORMAL: an entry is durable at the next checkpoint, and a crash loses at most the
 * last few milliseconds of reads, never the file. Indexed for the three questions asked of it:
 * by case, by reader, by time (and by team, for a team manager's part of it).
 */
export class SqliteAccessLogStore implements AccessLogStore {
  private readonly db: Database.Database;
  private readonly insert: Database.Statement;
  private readonly insertAll: (entries: readonly AccessLogEntry[]) => void;

  constructor(path: string) {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    this.db = new Database(path, { timeout: 5000 });
    if (path !== ':memory:') this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    // Bounded as the event store's connections are (ADR 0018, 2026-12-02): its indexes by case and
    // by reader grow with every read recorded, and the driver's 16 MB cache would fill with them.
    this.db.pragma(`cache_size = ${-SQLITE_CACHE_KIB}`);
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS access_log (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        at INTEGER NOT NULL,
        user_id TEXT NOT NULL,
        role TEXT NOT NULL,
        what TEXT NOT NULL,
        id TEXT NOT NULL,
        case_ref TEXT,
        team_id TEXT,
        context TEXT NOT NULL,
        via TEXT NOT NULL
      );
      CREATE INDEX IF NOT EXISTS access_log_by_case ON access_log (case_ref, at, seq);
      CREATE INDEX IF NOT EXISTS access_log_by_user ON access_log (user_id, at, seq);
      CREATE INDEX IF NOT EXISTS access_log_by_team ON access_log (team_id, at, seq);
      CREATE INDEX IF NOT EXISTS access_log_by_time ON access_log (at, seq);
      CREATE TRIGGER IF NOT EXISTS access_log_no_update BEFORE UPDATE ON access_log
        BEGIN SELECT RAISE(ABORT, 'the access log is append-only'); END;
      CREATE TRIGGER IF NOT EXISTS access_log_no_delete BEFORE DELETE ON access_log
        BEGIN SELECT RAISE(ABORT, 'the access log is append-only'); END;
    `);
    this.insert = this.db.prepare(
      `INSERT INTO access_log (at, user_id, role, what, id, case_ref, team_id, context, via)
       VALUES (@at, @userId, @role, @what, @id, @caseRef, @teamId, @context, @via)`,
    );
    // One transaction per batch: one commit for however many reads the batch holds.
    this.insertAll = this.db.transaction((entries: readonly AccessLogEntry[]) => {
      for (const e of entries) this.insert.run({ ...e, at: e.at.getTime() });
    });
  }

  async append(entries: readonly AccessLogEntry[]): Promise<void> {
    if (entries.length > 0) this.insertAll(entries);
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

  async close(): Promise<void> {
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
