import type { EventStore } from './event-store.port';
import type { KurrentDbEventStoreOptions } from './kurrentdb/kurrentdb-event-store';
import { SqliteEventStore, type EventStoreObserver } from './sqlite/sqlite-event-store';

/** `observer` is told about each SQLite group commit; the server stores batch on their side and have none. */
export type EventStoreConfig = (
  | { kind: 'sqlite'; path: string; writer?: 'thread' | 'inline'; observer?: EventStoreObserver }
  | ({ kind: 'kurrentdb'; observer?: EventStoreObserver } & KurrentDbEventStoreOptions)
  | { kind: 'postgres'; url: string; schema?: string; poolSize?: number; observer?: EventStoreObserver }
) & { maxAppendBytes?: number };

/** The settings that choose and configure the store (validated by @send/platform's loadConfig). */
export interface EventStoreSettings {
  EVENT_STORE: 'sqlite' | 'kurrentdb' | 'postgres';
  SQLITE_PATH: string;
  SQLITE_WRITER?: 'thread' | 'inline';
  KURRENTDB_URL?: string;
  KURRENTDB_USERNAME?: string;
  KURRENTDB_PASSWORD?: string;
  KURRENTDB_PASSWORD_FILE?: string;
  KURRENTDB_TLS?: boolean;
  KURRENTDB_TLS_CA_FILE?: string;
  KURRENTDB_DEADLINE_MS?: number;
  KURRENTDB_KEEPALIVE_MS?: number;
  POSTGRES_URL?: string;
  POSTGRES_SCHEMA?: string;
  POSTGRES_POOL_SIZE?: number;
  EVENT_STORE_MAX_APPEND_BYTES?: number;
}

/** The store the settings choose, for the apps and the command-line tools alike. */
export function eventStoreConfig(settings: EventStoreSettings, observer?: EventStoreObserver): EventStoreConfig {
  const maxAppendBytes = settings.EVENT_STORE_MAX_APPEND_BYTES;
  switch (settings.EVENT_STORE) {
    case 'kurrentdb':
      // The credentials travel apart from the URL (ADR 0013), so no log or error shows them.
      return {
        kind: 'kurrentdb',
        observer,
        url: settings.KURRENTDB_URL!,
        username: settings.KURRENTDB_USERNAME,
        password: settings.KURRENTDB_PASSWORD,
        passwordFile: settings.KURRENTDB_PASSWORD_FILE,
        tls: settings.KURRENTDB_TLS,
        tlsCaFile: settings.KURRENTDB_TLS_CA_FILE,
        deadlineMs: settings.KURRENTDB_DEADLINE_MS,
        keepAliveMs: settings.KURRENTDB_KEEPALIVE_MS,
        maxAppendBytes,
      };
    case 'postgres':
      return {
        kind: 'postgres',
        url: settings.POSTGRES_URL!,
        schema: settings.POSTGRES_SCHEMA,
        poolSize: settings.POSTGRES_POOL_SIZE,
        observer,
        maxAppendBytes,
      };
    case 'sqlite':
      return { kind: 'sqlite', path: settings.SQLITE_PATH, writer: settings.SQLITE_WRITER, observer, maxAppendBytes };
  }
}

/** The adapter selector (DESIGN.md: EVENT_STORE=sqlite|kurrentdb|postgres, SQLITE_PATH, KURRENTDB_URL, POSTGRES_URL). */
export function createEventStore(config: EventStoreConfig): EventStore {
  switch (config.kind) {
    case 'sqlite':
      return new SqliteEventStore({ path: config.path, writer: config.writer, observer: config.observer, maxAppendBytes: config.maxAppendBytes });
    case 'kurrentdb': {
      // Loaded lazily: the embedded (SQLite) setup never loads the gRPC client.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { KurrentDbEventStore } = require('./kurrentdb/kurrentdb-event-store') as typeof import('./kurrentdb/kurrentdb-event-store');
      const { kind: _kind, observer: _observer, ...options } = config;
      return new KurrentDbEventStore(options);
    }
    case 'postgres': {
      // Loaded lazily, as KurrentDB's client.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { PostgresEventStore } = require('./postgres/postgres-event-store') as typeof import('./postgres/postgres-event-store');
      return new PostgresEventStore({
        url: config.url,
        schema: config.schema,
        poolSize: config.poolSize,
        maxAppendBytes: config.maxAppendBytes,
      });
    }
  }
}
