export * from './data-key-store.port';
export * from './data-key-crypto';
export * from './cached-data-key-store';
export * from './encrypting-event-store';
export * from './sqlite-data-key-store';
export * from './create-data-key-store';
// Type-only: pg is loaded by createDataKeyStore({ kind: 'postgres' }) when used.
export type { PostgresDataKeyStore, PostgresDataKeyStoreOptions } from './postgres-data-key-store';
export * from './encrypt-stored-events';
