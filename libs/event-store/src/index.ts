export * from './event-store.port';
export * from './sqlite';
export * from './command';
export * from './subscription';
export * from './create-event-store';
export * from './take-turns';
// Type-only: the KurrentDB client is loaded by createEventStore({ kind: 'kurrentdb' }) when used.
export type { KurrentDbEventStore, KurrentDbEventStoreOptions } from './kurrentdb';
// Type-only, as KurrentDB: pg is loaded by createEventStore({ kind: 'postgres' }) when used.
export type { PostgresEventStore, PostgresEventStoreOptions } from './postgres';
export * from './personal-data';
export * from './fault-seam';
export * from './machine-clock';
