import type { EventStore } from './event-store.port';
import { SqliteEventStore } from './sqlite/sqlite-event-store';

export type EventStoreConfig = { kind: 'sqlite'; path: string } | { kind: 'kurrentdb'; url: string };

/** The adapter selector (DESIGN.md: EVENT_STORE=sqlite|kurrentdb, SQLITE_PATH, KURRENTDB_URL). */
export function createEventStore(config: EventStoreConfig): EventStore {
  switch (config.kind) {
    case 'sqlite':
      return new SqliteEventStore({ path: config.path });
    case 'kurrentdb': {
      // Loaded lazily: the embedded (SQLite) setup never loads the gRPC client.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { KurrentDbEventStore } = require('./kurrentdb/kurrentdb-event-store') as typeof import('./kurrentdb/kurrentdb-event-store');
      return new KurrentDbEventStore({ url: config.url });
    }
  }
}
