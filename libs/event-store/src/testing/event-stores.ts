import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { v4 as uuid } from 'uuid';
import type { EventStore } from '../event-store.port';
import type { PostgresEventStoreOptions } from '../postgres/postgres-event-store';
import { SqliteEventStore } from '../sqlite/sqlite-event-store';

/** A store under test, a way to open a second instance on the same data (api + worker), cleanup. */
export interface StoreUnderTest {
  store: EventStore;
  /** Another instance over the same data, as a second process would open it. */
  openAnother(): EventStore;
  cleanup(): Promise<void>;
}

export type StoreFactory = () => Promise<StoreUnderTest>;

export function sqliteFactory(): StoreFactory {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), 'event-store-contract-'));
    const path = join(dir, 'nested', 'events.sqlite');
    return tracked(
      () => new SqliteEventStore({ path }),
      () => rmSync(dir, { recursive: true, force: true }),
    );
  };
}

export function kurrentDbFactory(url: string): StoreFactory {
  return async () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { KurrentDbEventStore } = require('../kurrentdb/kurrentdb-event-store') as typeof import('../kurrentdb/kurrentdb-event-store');
    return tracked(() => new KurrentDbEventStore({ url }));
  };
}

/**
 * Each store under test in a schema of its own (send_test_<random>), dropped by cleanup, so test
 * files running at once on one server never share data. Options override the adapter's defaults.
 */
export function postgresFactory(server: () => Promise<string>, options: Partial<PostgresEventStoreOptions> = {}): StoreFactory {
  return async () => {
    const url = await server();
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { PostgresEventStore } = require('../postgres/postgres-event-store') as typeof import('../postgres/postgres-event-store');
    const schema = `send_test_${uuid().replace(/-/g, '').slice(0, 16)}`;
    return tracked(
      () => new PostgresEventStore({ url, schema, ...options }),
      () => dropSchema(url, schema),
    );
  };
}

async function dropSchema(url: string, schema: string): Promise<void> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { Client } = require('pg') as typeof import('pg');
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}

/** A PostgreSQL server for tests, started on first use; or why there is none. */
export type TestPostgres = { url(): Promise<string>; stop(): Promise<void> } | { skipped: string };

/**
 * The PostgreSQL for this test file: POSTGRES_URL when set (`npm test` starts one throwaway cluster
 * for the run), else a throwaway cluster started here on first use (scripts/lib/postgres.js), else
 * the reason and the install command, for the tests to be skipped by name. Decided synchronously,
 * so a spec can choose its describe blocks at load time.
 */
export function testPostgres(): TestPostgres {
  const fromEnv = process.env.POSTGRES_URL;
  if (fromEnv) return { url: async () => fromEnv, stop: async () => undefined };
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { findPostgresBin, startPostgres, INSTALL_HINT } = require('../../../../scripts/lib/postgres') as {
    findPostgresBin(): string | null;
    startPostgres(): Promise<{ url: string; stop(): Promise<void> }>;
    INSTALL_HINT: string;
  };
  if (!findPostgresBin()) return { skipped: `PostgreSQL is not installed (run: ${INSTALL_HINT}) and POSTGRES_URL is not set` };
  let started: ReturnType<typeof startPostgres> | null = null;
  return {
    url: async () => (await (started ??= startPostgres())).url,
    stop: async () => {
      if (started) await (await started).stop();
    },
  };
}

/** A store under test plus any others opened on the same data, all closed by cleanup (then `after`). */
function tracked(open: () => EventStore, after: () => void | Promise<void> = () => undefined): StoreUnderTest {
  const opened: EventStore[] = [];
  const openTracked = () => {
    const s = open();
    opened.push(s);
    return s;
  };
  return {
    store: openTracked(),
    openAnother: openTracked,
    cleanup: async () => {
      for (const s of opened) await s.close();
      await after();
    },
  };
}
