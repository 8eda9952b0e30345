import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { v4 as uuid } from 'uuid';
import type { EventStore } from '../event-store.port';
import type { PostgresEventStoreOptions } from '../postgres/postgres-event-store';
import { SqliteEventStore } from '../sqlite/sqlite-event-store';
import { EncryptingEventStore, type PersonalDataSchema } from '../personal-data/encrypting-event-store';
import { SqliteDataKeyStore } from '../personal-data/sqlite-data-key-store';
import type { DataKeyStore } from '../personal-data/data-key-store.port';

/** A store under test, a way to open a second instance on the same data (api + worker), cleanup. */
export interface StoreUnderTest {
  store: EventStore;
  /** Another instance over the same data, as a second process would open it. */
  openAnother(): EventStore;
  cleanup(): Promise<void>;
}

export type StoreFactory = () => Promise<StoreUnderTest>;

/** SQLite in a temp file; `writer` chooses where its commits run (default: its writer thread). */
export function sqliteFactory(options: { writer?: 'thread' | 'inline' } = {}): StoreFactory {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), 'event-store-contract-'));
    const path = join(dir, 'nested', 'events.sqlite');
    return tracked(
      () => new SqliteEventStore({ path, ...options }),
      () => rmSync(dir, { recursive: true, force: true }),
    );
  };
}

/** A test secret for the key-encryption key (DATA_KEYS_SECRET). */
export const TEST_DATA_KEYS_SECRET = 'test-only-data-keys-secret-0123456789abcdef';

/**
 * For the contract run through the encryption layer: every string in an event's data is personal
 * (its stream's), but `big`: the append size test measures stored bytes, and encryption grows a
 * field by a third (base64).
 */
export const CONTRACT_PERSONAL_DATA: PersonalDataSchema = {
  erased: '[erased]',
  fieldsOf: ({ streamId, data }) => {
    const paths: string[][] = [];
    const walk = (value: unknown, path: string[]) => {
      if (typeof value === 'string' && path[0] !== 'big') paths.push(path);
      else if (value && typeof value === 'object' && !Array.isArray(value))
        for (const [k, v] of Object.entries(value)) walk(v, [...path, k]);
    };
    walk(data, []);
    return paths.map((path) => ({ path, subject: { kind: 'subject', subjectId: `subject-of-${streamId}` } }));
  },
};

/** SQLite with the encryption layer on: keys in the same file, as the embedded default has them. */
export function sqliteEncryptedFactory(schema: PersonalDataSchema = CONTRACT_PERSONAL_DATA): StoreFactory {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), 'event-store-encrypted-'));
    const path = join(dir, 'nested', 'events.sqlite');
    return tracked(
      () =>
        new EncryptingEventStore(new SqliteEventStore({ path }), new SqliteDataKeyStore({ path, secret: TEST_DATA_KEYS_SECRET }), schema, {
          ownsKeys: true,
        }),
      () => rmSync(dir, { recursive: true, force: true }),
    );
  };
}

/** PostgreSQL with the encryption layer on: the keys in a schema of their own beside the events'. */
export function postgresEncryptedFactory(server: () => Promise<string>, schema: PersonalDataSchema = CONTRACT_PERSONAL_DATA): StoreFactory {
  return async () => {
    const url = await server();
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { PostgresEventStore } = require('../postgres/postgres-event-store') as typeof import('../postgres/postgres-event-store');
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { PostgresDataKeyStore } =
      require('../personal-data/postgres-data-key-store') as typeof import('../personal-data/postgres-data-key-store');
    const suffix = uuid().replace(/-/g, '').slice(0, 16);
    const keys = (): DataKeyStore => new PostgresDataKeyStore({ url, schema: `send_test_keys_${suffix}`, secret: TEST_DATA_KEYS_SECRET });
    return tracked(
      () => new EncryptingEventStore(new PostgresEventStore({ url, schema: `send_test_${suffix}` }), keys(), schema, { ownsKeys: true }),
      async () => {
        await dropSchema(url, `send_test_${suffix}`);
        await dropSchema(url, `send_test_keys_${suffix}`);
      },
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
