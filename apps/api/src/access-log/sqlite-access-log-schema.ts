import Database from 'better-sqlite3';
import { SQLITE_CACHE_KIB } from '@send/event-store/sqlite/sqlite-cache';
import type { AccessLogEntry } from './access-log.port';

/**
 * The access log's SQLite file, shared by SqliteAccessLogStore (its schema, its reads, and its
 * writes when inline) and the writer thread (access-log-writer.thread.ts), so both write the same
 * rows the same way.
 */

/** One entry as it crosses to the writer thread: a flat array, cheaper to clone than an object with a Date. */
export type WireEntry = [
  at: number,
  userId: string,
  role: string,
  what: string,
  id: string,
  caseRef: string | null,
  teamId: string | null,
  context: string,
  via: string,
];

export const toWireEntry = (e: AccessLogEntry): WireEntry => [
  e.at.getTime(),
  e.userId,
  e.role,
  e.what,
  e.id,
  e.caseRef,
  e.teamId,
  e.context,
  e.via,
];

/** Opens the file with the pragmas every connection to it uses (WAL is the file's, set once by the store). */
export function openAccessLogDb(path: string, busyTimeoutMs: number): Database.Database {
  const db = new Database(path, { timeout: busyTimeoutMs });
  db.pragma('synchronous = NORMAL');
  // Bounded as the event store's connections are (ADR 0018, 2026-12-02): its indexes by case and
  // by reader grow with every read recorded, and the driver's 16 MB cache would fill with them.
  db.pragma(`cache_size = ${-SQLITE_CACHE_KIB}`);
  return db;
}

/** Creates the table, its indexes and the append-only triggers if the file has none yet. */
export function createAccessLogSchema(db: Database.Database): void {
  db.exec(`
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
}

/** Writes a batch in one transaction: one commit for however many reads it holds. */
export function accessLogInserter(db: Database.Database): (entries: readonly WireEntry[]) => void {
  const insert = db.prepare(
    `INSERT INTO access_log (at, user_id, role, what, id, case_ref, team_id, context, via) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  return db.transaction((entries: readonly WireEntry[]) => {
    for (const e of entries) insert.run(e);
  });
}
