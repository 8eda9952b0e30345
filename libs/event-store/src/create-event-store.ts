import type { EventStore } from './event-store.port';
import { SqliteEventStore, type EventStoreObserver } from './sqlite/sqlite-event-store';
import type { KurrentDbEventStoreOptions } from './kurrentdb/kurrentdb-event-store';

/** `observer` is told about each SQLite group commit; KurrentDB batches on the server and has none. */
export type EventStoreConfig = { kind: 'sqlite'; path: string; observer?: EventStoreObserver } | ({ kind: 'kurrentdb'; observer?: EventStoreObserver } & KurrentDbEventStoreOptions);

/** The adapter selector (DESIGN.md: EVENT_STORE=sqlite|kurrentdb, SQLITE_PATH, KURRENTDB_URL). */
export function createEventStore(config: EventStoreConfig): EventStore {
  switch (config.kind) {
    case 'sqlite':
      return new SqliteEventStore({ path: config.path, observer: config.observer });
    case 'kurrentdb': {
      // Loaded lazily: the embedded (SQLite) setup never loads the gRPC client.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { KurrentDbEventStore } = require('./kurrentdb/kurrentdb-event-store') as typeof import('./kurrentdb/kurrentdb-event-store');
      const { kind: _kind, observer: _observer, ...options } = config;
      return new KurrentDbEventStore(options);
    }
  }
}
