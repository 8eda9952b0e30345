import Database from 'better-sqlite3';
import { quoteIdentifier } from '../postgres/postgres-schema';
import type { EncryptingEventStore } from './encrypting-event-store';

/**
 * The one-off migration of issue 14 (`npm run encrypt-events`, ADR 0016): events written before
 * encryption are encrypted where they are stored. Only `data` changes (ids, positions, revisions,
 * types, metadata and times stay), a page at a time in one transaction with a checkpoint row, so an
 * interrupted run resumes where it stopped, and a field already encrypted is left alone, so running
 * it again changes nothing. KurrentDB cannot rewrite an event in place: it is refused (the ADR says
 * how: copy to new streams).
 */

/** An event row as the migration reads it. */
export interface StoredRow {
  position: bigint;
  streamId: string;
  revision: bigint;
  type: string;
  data: Record<string, unknown>;
}

/** The raw access the migration needs, per store: pages in position order, and a page's rewrite with its checkpoint. */
export interface StoredEventsRewriter {
  /** Where the last run stopped (0n: from the start). */
  checkpoint(): Promise<bigint>;
  /** How many events lie after `after` (the progress bar's total). */
  countAfter(after: bigint): Promise<number>;
  page(after: bigint, limit: number): Promise<StoredRow[]>;
  /** The page's new data and the checkpoint, in one transaction (any trigger forbidding updates dropped and made again inside it). */
  write(updates: { position: bigint; data: Record<string, unknown> }[], checkpoint: bigint): Promise<void>;
  /** After the last page: whatever the store needs so no old copy of a rewritten row stays (SQLite: empty the WAL). */
  finish?(): Promise<void>;
  close(): Promise<void>;
}

export interface EncryptStoredEventsProgress {
  /** Events looked at in this run, and how many of them were rewritten. */
  done: number;
  encrypted: number;
  total: number;
  position: bigint;
}

export interface EncryptStoredEventsResult {
  /** Events looked at in this run (after the checkpoint it resumed from). */
  events: number;
  /** Events whose data changed (a plain personal field encrypted). */
  encrypted: number;
  resumedFrom: bigint;
  ms: number;
}

export async function encryptStoredEvents(options: {
  rewriter: StoredEventsRewriter;
  /** The encrypting store over the same events: its keys, and its reads of a stream's earlier events. */
  store: EncryptingEventStore;
  pageSize?: number;
  onProgress?: (progress: EncryptStoredEventsProgress) => void;
}): Promise<EncryptStoredEventsResult> {
  const { rewriter, store } = options;
  const pageSize = options.pageSize ?? 500;
  const started = Date.now();
  const resumedFrom = await rewriter.checkpoint();
  const total = await rewriter.countAfter(resumedFrom);
  let after = resumedFrom;
  let done = 0;
  let encrypted = 0;
  options.onProgress?.({ done, encrypted, total, position: after });
  for (;;) {
    const rows = await rewriter.page(after, pageSize);
    if (rows.length === 0) break;
    const updates: { position: bigint; data: Record<string, unknown> }[] = [];
    for (const row of rows) {
      // A case contact's unlink finds whose it is in the stream's earlier events (decrypted, or still plain).
      const earlier = async () => (await store.read(row.streamId)).filter((e) => e.revision < row.revision);
      const data = await store.encryptData(row.streamId, row.type, row.data, earlier);
      if (data !== row.data) updates.push({ position: row.position, data });
    }
    after = rows[rows.length - 1].position;
    await rewriter.write(updates, after);
    done += rows.length;
    encrypted += updates.length;
    options.onProgress?.({ done, encrypted, total, position: after });
  }
  await rewriter.finish?.();
  return { events: done, encrypted, resumedFrom, ms: Date.now() - started };
}

const CHECKPOINT_TABLE = 'personal_data_encryption';

/** The SQLite rewrite: the events' file, on a connection of its own. */
export class SqliteEventsRewriter implements StoredEventsRewriter {
  private readonly db: Database.Database;

  constructor(path: string) {
    this.db = new Database(path, { timeout: 5000, fileMustExist: true });
    this.db.pragma('busy_timeout = 5000');
    // The plain text an UPDATE replaces must not stay in the file's free space.
    this.db.pragma('secure_delete = ON');
    this.db.exec(
      `CREATE TABLE IF NOT EXISTS ${CHECKPOINT_TABLE} (id INTEGER PRIMARY KEY CHECK (id = 1), position INTEGER NOT NULL, updated_at TEXT NOT NULL)`,
    );
  }

  async checkpoint(): Promise<bigint> {
    const row = this.db.prepare(`SELECT position FROM ${CHECKPOINT_TABLE} WHERE id = 1`).get() as { position: number } | undefined;
    return BigInt(row?.position ?? 0);
  }

  async countAfter(after: bigint): Promise<number> {
    return (this.db.prepare('SELECT count(*) AS n FROM events WHERE position > ?').get(after) as { n: number }).n;
  }

  async page(after: bigint, limit: number): Promise<StoredRow[]> {
    const rows = this.db
      .prepare('SELECT position, stream_id, revision, type, data FROM events WHERE position > ? ORDER BY position LIMIT ?')
      .all(after, limit) as { position: number; stream_id: string; revision: number; type: string; data: string }[];
    return rows.map((r) => ({
      position: BigInt(r.position),
      streamId: r.stream_id,
      revision: BigInt(r.revision),
      type: r.type,
      data: JSON.parse(r.data),
    }));
  }

  async write(updates: { position: bigint; data: Record<string, unknown> }[], checkpoint: bigint): Promise<void> {
    const update = this.db.prepare('UPDATE events SET data = ? WHERE position = ?');
    const save = this.db.prepare(
      `INSERT INTO ${CHECKPOINT_TABLE} (id, position, updated_at) VALUES (1, ?, ?) ON CONFLICT (id) DO UPDATE SET position = excluded.position, updated_at = excluded.updated_at`,
    );
    this.db
      .transaction(() => {
        // A trigger that forbids changing events (none ships today; an installation may add one) is
        // dropped and made again inside this transaction, so no one else ever sees the table without it.
        const triggers = this.db.prepare(`SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'events'`).all() as {
          name: string;
          sql: string;
        }[];
        for (const t of triggers) this.db.exec(`DROP TRIGGER "${t.name.replaceAll('"', '""')}"`);
        for (const u of updates) update.run(JSON.stringify(u.data), u.position);
        save.run(checkpoint, new Date().toISOString());
        for (const t of triggers) this.db.exec(t.sql);
      })
      .immediate();
  }

  /**
   * Rebuilds the file (VACUUM), since pages written before encryption may keep old copies of rows in
   * their free space, then empties the WAL, whose frames still hold pages as they were before.
   */
  async finish(): Promise<void> {
    try {
      this.db.exec('VACUUM');
    } catch (error) {
      throw new Error(
        `encrypt-events: every event is encrypted, but the file could not be rebuilt to clear old copies (VACUUM: ${(error as Error).message}); ` +
          'stop the api and worker and run it again',
      );
    }
    for (let attempt = 0; attempt < 50; attempt++) {
      const [result] = this.db.pragma('wal_checkpoint(TRUNCATE)') as { busy: number }[];
      if (result.busy === 0) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error('encrypt-events: the WAL could not be checkpointed (a reader held it for 5 s): run it again to clear the WAL');
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}

/** The PostgreSQL rewrite: the events' schema, with user triggers disabled inside each page's transaction. */
export class PostgresEventsRewriter implements StoredEventsRewriter {
  private readonly table: string;
  private readonly checkpointTable: string;
  private ready: Promise<void> | null = null;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  private readonly pool: import('pg').Pool;

  constructor(url: string, schema = 'send_events') {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { Pool } = require('pg') as typeof import('pg');
    this.pool = new Pool({ connectionString: url, max: 2 });
    this.table = `${quoteIdentifier(schema)}.events`;
    this.checkpointTable = `${quoteIdentifier(schema)}.${CHECKPOINT_TABLE}`;
  }

  private migrated(): Promise<void> {
    return (this.ready ??= this.pool
      .query(
        `CREATE TABLE IF NOT EXISTS ${this.checkpointTable} (id integer PRIMARY KEY CHECK (id = 1), position bigint NOT NULL, updated_at timestamptz NOT NULL DEFAULT now())`,
      )
      .then(() => undefined));
  }

  async checkpoint(): Promise<bigint> {
    await this.migrated();
    const { rows } = await this.pool.query<{ position: string }>(`SELECT position FROM ${this.checkpointTable} WHERE id = 1`);
    return BigInt(rows[0]?.position ?? 0);
  }

  async countAfter(after: bigint): Promise<number> {
    const { rows } = await this.pool.query<{ n: string }>(`SELECT count(*) AS n FROM ${this.table} WHERE position > $1`, [
      after.toString(),
    ]);
    return Number(rows[0].n);
  }

  async page(after: bigint, limit: number): Promise<StoredRow[]> {
    const { rows } = await this.pool.query<{
      position: string;
      stream_id: string;
      revision: string;
      type: string;
      data: Record<string, unknown>;
    }>(`SELECT position, stream_id, revision, type, data FROM ${this.table} WHERE position > $1 ORDER BY position LIMIT $2`, [
      after.toString(),
      limit,
    ]);
    return rows.map((r) => ({
      position: BigInt(r.position),
      streamId: r.stream_id,
      revision: BigInt(r.revision),
      type: r.type,
      data: r.data,
    }));
  }

  async write(updates: { position: bigint; data: Record<string, unknown> }[], checkpoint: bigint): Promise<void> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query(`ALTER TABLE ${this.table} DISABLE TRIGGER USER`);
      for (const u of updates)
        await client.query(`UPDATE ${this.table} SET data = $1::jsonb WHERE position = $2`, [
          JSON.stringify(u.data),
          u.position.toString(),
        ]);
      await client.query(
        `INSERT INTO ${this.checkpointTable} (id, position) VALUES (1, $1) ON CONFLICT (id) DO UPDATE SET position = EXCLUDED.position, updated_at = now()`,
        [checkpoint.toString()],
      );
      await client.query(`ALTER TABLE ${this.table} ENABLE TRIGGER USER`);
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  async close(): Promise<void> {
    await this.pool.end().catch(() => undefined);
  }
}
