import Database from 'better-sqlite3';
import { SQLITE_CACHE_KIB } from '@send/event-store/sqlite/sqlite-cache';
import type { PackedRead } from './access-log.port';

/**
 * The access log's SQLite file, shared by SqliteAccessLogStore (its schema, its reads, and its
 * writes when inline) and the writer thread (access-log-writer.thread.ts), so both write the same
 * rows the same way.
 *
 * A row is one read (ADR 0014, 2026-12-04): who, when, why-context, and the items it showed as a
 * JSON array, so a 100-row queue page is one row, not 100. Its cases are indexed in bulk (see
 * accessLogWriter): the newest reads are found by case by scanning the few rows not yet indexed.
 */

/** When the by-case index is brought up to date (see accessLogWriter). */
export interface CaseIndexing {
  /** Once the reads written since hold this many items naming a case (default 50,000)... */
  every: number;
  /** ...or when it was last brought up to date this long ago, checked at each write (default 1,000 ms). */
  afterMs: number;
}
export const CASE_INDEXING: CaseIndexing = { every: 50_000, afterMs: 1_000 };

/** Opens the file with the pragmas every connection to it uses (WAL is the file's, set once by the store). */
export function openAccessLogDb(path: string, busyTimeoutMs: number): Database.Database {
  const db = new Database(path, { timeout: busyTimeoutMs });
  db.pragma('synchronous = NORMAL');
  // Bounded as the event store's connections are (ADR 0018, 2026-12-02): its indexes by case and
  // by reader grow with every read recorded, and the driver's 16 MB cache would fill with them.
  db.pragma(`cache_size = ${-SQLITE_CACHE_KIB}`);
  return db;
}

const appendOnly = (table: string) => `
  CREATE TRIGGER IF NOT EXISTS ${table}_no_update BEFORE UPDATE ON ${table}
    BEGIN SELECT RAISE(ABORT, 'the access log is append-only'); END;
  CREATE TRIGGER IF NOT EXISTS ${table}_no_delete BEFORE DELETE ON ${table}
    BEGIN SELECT RAISE(ABORT, 'the access log is append-only'); END;`;

/**
 * Creates the tables, their indexes and the append-only triggers if the file has none yet, and
 * moves the rows of a file written before 2026-12-04 (one row per item, table `access_log`) into
 * them, each a read of one item under its own sequence number, in one transaction. Answers how many
 * rows it moved (0 for a new or current file).
 */
export function createAccessLogSchema(db: Database.Database): number {
  db.exec(`
    CREATE TABLE IF NOT EXISTS access_read (
      seq INTEGER PRIMARY KEY AUTOINCREMENT,
      at INTEGER NOT NULL,
      user_id TEXT NOT NULL,
      role TEXT NOT NULL,
      context TEXT NOT NULL,
      via TEXT NOT NULL,
      items TEXT NOT NULL
    );
    CREATE INDEX IF NOT EXISTS access_read_by_user ON access_read (user_id, at, seq);
    CREATE INDEX IF NOT EXISTS access_read_by_time ON access_read (at, seq);
    -- One entry per team a read showed: a team manager's part of the log.
    CREATE TABLE IF NOT EXISTS access_read_team (
      team_id TEXT NOT NULL, at INTEGER NOT NULL, seq INTEGER NOT NULL, PRIMARY KEY (team_id, at, seq)
    ) WITHOUT ROWID;
    -- One entry per case a read showed, for reads up to access_log_meta's cases_indexed_to.
    CREATE TABLE IF NOT EXISTS access_read_case (
      case_ref TEXT NOT NULL, at INTEGER NOT NULL, seq INTEGER NOT NULL, PRIMARY KEY (case_ref, at, seq)
    ) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS access_log_meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
    INSERT OR IGNORE INTO access_log_meta (key, value) VALUES ('cases_indexed_to', 0);
    ${appendOnly('access_read')}
    ${appendOnly('access_read_team')}
    ${appendOnly('access_read_case')}
  `);
  const old = db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'access_log'`).get();
  if (!old) return 0;
  return db
    .transaction(() => {
      const { changes } = db
        .prepare(
          `INSERT INTO access_read (seq, at, user_id, role, context, via, items)
         SELECT seq, at, user_id, role, context, via, json_array(json_array(what, id, case_ref, team_id)) FROM access_log ORDER BY seq`,
        )
        .run();
      db.exec(`
      INSERT INTO access_read_team (team_id, at, seq) SELECT team_id, at, seq FROM access_log WHERE team_id IS NOT NULL ORDER BY 1, 2, 3;
      INSERT INTO access_read_case (case_ref, at, seq) SELECT case_ref, at, seq FROM access_log WHERE case_ref IS NOT NULL ORDER BY 1, 2, 3;
      UPDATE access_log_meta SET value = (SELECT coalesce(max(seq), 0) FROM access_read) WHERE key = 'cases_indexed_to';
      DROP TABLE access_log;
    `);
      return changes;
    })
    .immediate();
}

/**
 * Writes a batch of reads in one transaction: one commit for however many it holds. Each read is
 * one row, plus one entry per team it showed. Its cases are indexed in bulk, in the transaction of
 * the write that finds `indexing.every` entries waiting or the last bulk `indexing.afterMs` ago:
 * one row's entry per case at the time of writing lands on a leaf of its own in an index of
 * millions, which the commit writes to the WAL and the checkpoint copies again (~15 µs an entry),
 * where the entries of thousands of reads sorted together share their leaves. What waits is found
 * by the query from the rows after `cases_indexed_to`, so nothing depends on this writer's memory:
 * a crash leaves them to the next bulk, and several writers sharing the file each bring the index
 * up to date under the write lock.
 */
export function accessLogWriter(db: Database.Database, indexing: CaseIndexing = CASE_INDEXING): (reads: readonly PackedRead[]) => void {
  const insertRead = db.prepare(`INSERT INTO access_read (at, user_id, role, context, via, items) VALUES (?, ?, ?, ?, ?, ?)`);
  const insertTeam = db.prepare(`INSERT INTO access_read_team (team_id, at, seq) VALUES (?, ?, ?)`);
  const indexCases = db.prepare(`
    INSERT OR IGNORE INTO access_read_case (case_ref, at, seq)
    SELECT DISTINCT item.value ->> 2, r.at, r.seq FROM access_read r, json_each(r.items) item
    WHERE r.seq > (SELECT value FROM access_log_meta WHERE key = 'cases_indexed_to') AND item.value ->> 2 IS NOT NULL
    ORDER BY 1, 2, 3`);
  const markIndexed = db.prepare(
    `UPDATE access_log_meta SET value = (SELECT coalesce(max(seq), 0) FROM access_read) WHERE key = 'cases_indexed_to'`,
  );
  let waiting = 0;
  let indexedAt = 0; // the first write brings up to date what an earlier run left
  return db.transaction((reads: readonly PackedRead[]) => {
    for (const { at, userId, role, context, via, items, teams, cased } of reads) {
      const seq = insertRead.run(at, userId, role, context, via, items).lastInsertRowid;
      for (const team of teams) insertTeam.run(team, at, seq);
      waiting += cased;
    }
    const now = Date.now();
    if (waiting >= indexing.every || now - indexedAt >= indexing.afterMs) {
      indexCases.run();
      markIndexed.run();
      waiting = 0;
      indexedAt = now;
    }
  });
}
