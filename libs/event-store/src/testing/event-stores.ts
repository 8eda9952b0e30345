import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EventStore } from '../event-store.port';
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

/** A store under test plus any others opened on the same data, all closed by cleanup (then `after`). */
function tracked(open: () => EventStore, after: () => void = () => undefined): StoreUnderTest {
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
      after();
    },
  };
}
