import type { PoolClient } from 'pg';

/**
 * The PostgreSQL store's schema, as ordered migrations: migration N (1-based) is applied once, in a
 * transaction, and recorded in `schema_version`. Never edit a migration that has shipped: add one.
 * `{schema}` is replaced by the quoted schema name.
 *
 * events.position is not a sequence: it is (writing transaction id << POSITION_TX_SHIFT) + the
 * event's ordinal in that transaction. Ordering by it is ordering by (transaction id, ordinal), the
 * order Emmett's PostgreSQL store reads in, in one bigint; see ADR 0012 for why a sequence is not
 * enough when transactions commit out of order.
 */
export const MIGRATIONS: readonly string[] = [
  // 1: the log.
  `CREATE TABLE {schema}.events (
     position    bigint      PRIMARY KEY,
     id          text        NOT NULL UNIQUE,
     stream_id   text        NOT NULL,
     revision    bigint      NOT NULL,
     type        text        NOT NULL,
     data        jsonb       NOT NULL,
     metadata    jsonb       NOT NULL,
     recorded_at timestamptz NOT NULL DEFAULT now(),
     UNIQUE (stream_id, revision)
   )`,
];

/** Bits of a position that number the events of one transaction: up to 2^20 - 1 events each. */
export const POSITION_TX_SHIFT = 20;

/** Creates the schema when missing and applies the migrations it lacks, once, whoever starts first. */
export async function migrate(client: PoolClient, schema: string): Promise<number> {
  const quoted = quoteIdentifier(schema);
  await client.query('BEGIN');
  try {
    // api and worker start together: one migrates, the other waits here, then finds nothing to do.
    await client.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`${schema}:migrate`]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoted}`);
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${quoted}.schema_version (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`,
    );
    const { rows } = await client.query<{ version: number | null }>(`SELECT max(version) AS version FROM ${quoted}.schema_version`);
    const current = rows[0]?.version ?? 0;
    if (current > MIGRATIONS.length) {
      throw new Error(
        `PostgreSQL event store: schema ${schema} is at version ${current}, newer than this build knows (${MIGRATIONS.length}): run a newer build`,
      );
    }
    for (let version = current + 1; version <= MIGRATIONS.length; version++) {
      await client.query(MIGRATIONS[version - 1].replaceAll('{schema}', quoted));
      await client.query(`INSERT INTO ${quoted}.schema_version (version) VALUES ($1)`, [version]);
    }
    await client.query('COMMIT');
    return MIGRATIONS.length;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

/** Schema names are configuration, not input, but still: letters, digits and underscores only. */
export function quoteIdentifier(name: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(name)) {
    throw new Error(`PostgreSQL event store: schema name ${JSON.stringify(name)} must be letters, digits and underscores (at most 63)`);
  }
  return `"${name}"`;
}
