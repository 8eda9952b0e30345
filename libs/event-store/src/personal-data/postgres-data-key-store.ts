import { Pool } from 'pg';
import type { DataKey, DataKeyStore, KeyForHint } from './data-key-store.port';
import { KeyEncryptionKey, newDataKey, newKeyId } from './data-key-crypto';
import { quoteIdentifier } from '../postgres/postgres-schema';

export interface PostgresDataKeyStoreOptions {
  url: string;
  /** The schema of the key table, apart from the events' so it is backed up and restored on its own. Default send_data_keys. */
  schema?: string;
  /** DATA_KEYS_SECRET: the keys are stored wrapped under a key derived from it. */
  secret: string;
  poolSize?: number;
}

/**
 * The key store on PostgreSQL: for EVENT_STORE=postgres, and for KurrentDB (whose streams cannot
 * forget anything). Erasing deletes the rows, then VACUUMs the table so their space is reclaimed;
 * what PostgreSQL's WAL and backups still hold is wrapped under the key-encryption key (ADR 0016).
 */
export class PostgresDataKeyStore implements DataKeyStore {
  readonly schema: string;
  private readonly table: string;
  private readonly pool: Pool;
  private readonly kek: KeyEncryptionKey;
  private ready: Promise<void> | null = null;

  constructor(options: PostgresDataKeyStoreOptions) {
    this.kek = new KeyEncryptionKey(options.secret);
    this.schema = options.schema ?? 'send_data_keys';
    this.table = `${quoteIdentifier(this.schema)}.data_keys`;
    this.pool = new Pool({ connectionString: options.url, max: options.poolSize ?? 4 });
    this.pool.on('error', () => undefined);
  }

  async keyFor(subjectId: string, scope: string, hint?: KeyForHint): Promise<DataKey> {
    await this.migrated();
    const hash = this.kek.subjectHash(subjectId);
    // A new stream's first key: straight to the insert (a round trip less); a conflict reads theirs.
    if (!hint?.newScope) {
      const existing = await this.pool.query<{ key_id: string; wrapped_key: Buffer }>(
        `SELECT key_id, wrapped_key FROM ${this.table} WHERE subject_hash = $1 AND scope = $2`,
        [hash, scope],
      );
      if (existing.rows[0])
        return { keyId: existing.rows[0].key_id, key: this.kek.unwrap(existing.rows[0].key_id, existing.rows[0].wrapped_key) };
    }
    // ownsScope is left out: under READ COMMITTED two first keys of one stream made at once could
    // each see no other, and a wrong owner would put a reply under the wrong person's key.
    const keyId = newKeyId();
    const key = newDataKey();
    const inserted = await this.pool.query(
      `INSERT INTO ${this.table} (key_id, subject_hash, subject_sealed, scope, wrapped_key) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (subject_hash, scope) DO NOTHING`,
      [keyId, hash, this.kek.sealSubject(subjectId), scope, this.kek.wrap(keyId, key)],
    );
    if (inserted.rowCount === 1) return { keyId, key };
    // Another process made it first: theirs is the one.
    return this.keyFor(subjectId, scope);
  }

  /** A page's keys in one round trip (a cold reader needs one per request in it). */
  async keysById(keyIds: readonly string[]): Promise<Map<string, Buffer | null>> {
    await this.migrated();
    const found = new Map<string, Buffer | null>(keyIds.map((id) => [id, null]));
    if (keyIds.length === 0) return found;
    const { rows } = await this.pool.query<{ key_id: string; wrapped_key: Buffer }>(
      `SELECT key_id, wrapped_key FROM ${this.table} WHERE key_id = ANY($1::text[])`,
      [keyIds],
    );
    for (const row of rows) found.set(row.key_id, this.kek.unwrap(row.key_id, row.wrapped_key));
    return found;
  }

  async keyById(keyId: string): Promise<Buffer | null> {
    await this.migrated();
    const { rows } = await this.pool.query<{ wrapped_key: Buffer }>(`SELECT wrapped_key FROM ${this.table} WHERE key_id = $1`, [keyId]);
    return rows[0] ? this.kek.unwrap(keyId, rows[0].wrapped_key) : null;
  }

  async subjectOfScope(scope: string): Promise<string | null> {
    await this.migrated();
    const { rows } = await this.pool.query<{ subject_sealed: Buffer }>(
      `SELECT subject_sealed FROM ${this.table} WHERE scope = $1 ORDER BY seq LIMIT 1`,
      [scope],
    );
    return rows[0] ? this.kek.openSubject(rows[0].subject_sealed) : null;
  }

  async scopesOf(subjectId: string): Promise<string[]> {
    await this.migrated();
    const { rows } = await this.pool.query<{ scope: string }>(`SELECT scope FROM ${this.table} WHERE subject_hash = $1 ORDER BY seq`, [
      this.kek.subjectHash(subjectId),
    ]);
    return rows.map((r) => r.scope);
  }

  async keyIdsOf(subjectId: string): Promise<string[]> {
    await this.migrated();
    const { rows } = await this.pool.query<{ key_id: string }>(`SELECT key_id FROM ${this.table} WHERE subject_hash = $1 ORDER BY seq`, [
      this.kek.subjectHash(subjectId),
    ]);
    return rows.map((r) => r.key_id);
  }

  async eraseKeys(keyIds: readonly string[]): Promise<number> {
    await this.migrated();
    const { rowCount } = await this.pool.query(`DELETE FROM ${this.table} WHERE key_id = ANY($1)`, [[...keyIds]]);
    if (rowCount) await this.vacuum();
    return rowCount ?? 0;
  }

  async eraseSubject(subjectId: string): Promise<string[]> {
    await this.migrated();
    const { rows } = await this.pool.query<{ scope: string; seq: string }>(
      `DELETE FROM ${this.table} WHERE subject_hash = $1 RETURNING scope, seq`,
      [this.kek.subjectHash(subjectId)],
    );
    await this.vacuum();
    return rows.sort((a, b) => Number(BigInt(a.seq) - BigInt(b.seq))).map((r) => r.scope);
  }

  async eraseScope(scope: string): Promise<number> {
    await this.migrated();
    const { rowCount } = await this.pool.query(`DELETE FROM ${this.table} WHERE scope = $1`, [scope]);
    await this.vacuum();
    return rowCount ?? 0;
  }

  async eraseScopeBefore(scope: string, madeBefore: Date, subjectIds?: readonly string[]): Promise<number> {
    await this.migrated();
    const { rowCount } = subjectIds
      ? await this.pool.query(`DELETE FROM ${this.table} WHERE scope = $1 AND created_at < $2 AND subject_hash = ANY($3)`, [
          scope,
          madeBefore,
          subjectIds.map((id) => this.kek.subjectHash(id)),
        ])
      : await this.pool.query(`DELETE FROM ${this.table} WHERE scope = $1 AND created_at < $2`, [scope, madeBefore]);
    if (rowCount) await this.vacuum();
    return rowCount ?? 0;
  }

  async close(): Promise<void> {
    await this.pool.end().catch(() => undefined);
  }

  /** Reclaims the deleted rows' space (not in a transaction; a concurrent VACUUM makes this one wait). */
  private async vacuum(): Promise<void> {
    await this.pool.query(`VACUUM ${this.table}`).catch(() => undefined);
  }

  private migrated(): Promise<void> {
    this.ready ??= this.migrate().catch((error) => {
      this.ready = null;
      throw error;
    });
    return this.ready;
  }

  private async migrate(): Promise<void> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`${this.schema}:data_keys`]);
      await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdentifier(this.schema)}`);
      await client.query(`CREATE TABLE IF NOT EXISTS ${this.table} (
        seq            bigserial   PRIMARY KEY,
        key_id         text        NOT NULL UNIQUE,
        subject_hash   text        NOT NULL,
        subject_sealed bytea       NOT NULL,
        scope          text        NOT NULL,
        wrapped_key    bytea       NOT NULL,
        created_at     timestamptz NOT NULL DEFAULT now(),
        UNIQUE (subject_hash, scope)
      )`);
      await client.query(`CREATE INDEX IF NOT EXISTS data_keys_by_scope ON ${this.table} (scope, seq)`);
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }
}
