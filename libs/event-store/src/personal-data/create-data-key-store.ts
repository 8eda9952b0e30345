import type { DataKeyStore } from './data-key-store.port';
import { SqliteDataKeyStore } from './sqlite-data-key-store';

/** Where data keys live (ADR 0016): beside the events in the SQLite file, or in a PostgreSQL schema of their own. */
export type DataKeyStoreConfig =
  { kind: 'sqlite'; path: string; secret: string } | { kind: 'postgres'; url: string; schema?: string; secret: string; poolSize?: number };

export function createDataKeyStore(config: DataKeyStoreConfig): DataKeyStore {
  if (config.kind === 'sqlite') return new SqliteDataKeyStore({ path: config.path, secret: config.secret });
  // Loaded lazily, as the PostgreSQL event store: the embedded setup never loads pg.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { PostgresDataKeyStore } = require('./postgres-data-key-store') as typeof import('./postgres-data-key-store');
  return new PostgresDataKeyStore({ url: config.url, schema: config.schema, secret: config.secret, poolSize: config.poolSize });
}
