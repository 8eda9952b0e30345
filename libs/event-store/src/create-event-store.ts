import type { EventStore } from './event-store.port';
import { SqliteEventStore, type EventStoreObserver } from './sqlite/sqlite-event-store';

/** `observer` is told about each SQLite group commit; the server stores batch on their side and have none. */
export type EventStoreConfig = (
  | { kind: 'sqlite'; path: string; observer?: EventStoreObserver }
  | { kind: 'kurrentdb'; url: string; observer?: EventStoreObserver }
  | { kind: 'postgres'; url: string; schema?: string; poolSize?: number; observer?: EventStoreObserver }
) & { maxAppendBytes?: number };

/** The settings that choose and configure the store (validated by @send/platform's loadConfig). */
export interface EventStoreSettings {
  EVENT_STORE: 'sqlite' | 'kurrentdb' | 'postgres';
  SQLITE_PATH: string;
  KURRENTDB_URL?: string;
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
      return { kind: 'kurrentdb', url: settings.KURRENTDB_URL!, observer, maxAppendBytes };
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
      return { kind: 'sqlite', path: settings.SQLITE_PATH, observer, maxAppendBytes };
  }
}

/** The adapter selector (DESIGN.md: EVENT_STORE=sqlite|kurrentdb|postgres, SQLITE_PATH, KURRENTDB_URL, POSTGRES_URL). */
export function createEventStore(config: EventStoreConfig): EventStore {
  switch (config.kind) {
    case 'sqlite':
      return new SqliteEventStore({ path: config.path, observer: config.observer, maxAppendBytes: config.maxAppendBytes });
    case 'kurrentdb': {
      // Loaded lazily: the embedded (SQLite) setup never loads the gRPC client.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { KurrentDbEventStore } = require('./kurrentdb/kurrentdb-event-store') as typeof import('./kurrentdb/kurrentdb-event-store');
      return new KurrentDbEventStore({ url: config.url });
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
