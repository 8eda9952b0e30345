import type Database from 'better-sqlite3';
import { DuplicateEventId, WrongExpectedRevision } from '../event-store.port';
import type { BatchItem, ItemOutcome } from './sqlite-append';

/**
 * The messages between a SqliteEventStore and its writer thread. Structured clone carries bigints,
 * strings and plain objects, but not error classes: errors cross as WireError and are rebuilt as
 * the same typed errors (WrongExpectedRevision, DuplicateEventId) the inline writer throws.
 */

export interface WriterOptions {
  path: string;
  busyTimeoutMs: number;
  synchronous: 'full' | 'normal';
  /** The write connection's page cache in KiB (`cache_size = -N`). */
  cacheSizeKib: number;
  /**
   * The write connection's `wal_autocheckpoint` (pages): the WAL size at which a commit also
   * checkpoints. With a checkpointer thread (ADR 0018, checkpoints) only a backstop, should it fall
   * far behind or die.
   */
  walAutocheckpoint: number;
  /**
   * 'writer' (the default): the write connection, committing batches. 'checkpointer': a connection
   * of its own that checkpoints the WAL every `checkpointEveryMs`, off the commits' path.
   */
  role?: 'writer' | 'checkpointer';
  checkpointEveryMs?: number;
}

export type ToWriter = { type: 'batch'; id: number; items: BatchItem[] } | { type: 'settings'; id: number } | { type: 'close' };

/** A connection's pragmas as SQLite reports them (tests check each connection got its options). */
export interface ConnectionSettings {
  /** `cache_size`: negative is KiB. */
  cacheSize: number;
  /** `synchronous`: 1 NORMAL, 2 FULL. */
  synchronous: number;
  /** `busy_timeout` in ms. */
  busyTimeout: number;
  /** `wal_autocheckpoint` in pages (0: never at commit). */
  walAutocheckpoint: number;
}

export type WireOutcome = Exclude<ItemOutcome, { kind: 'failed' }> | { kind: 'failed'; error: WireError };

/**
 * One transaction's answer. The thread commits every batch waiting for it in one transaction, so
 * one answer may cover several batches (by id, in the order they were sent).
 */
export type FromWriter =
  | { type: 'committed'; recordedAt: string; batches: { id: number; outcomes: WireOutcome[] }[]; ms: number }
  /** BEGIN or COMMIT failed: nothing of these batches is stored. */
  | { type: 'not-committed'; ids: number[]; error: WireError; ms: number }
  | ({ type: 'settings'; id: number } & ConnectionSettings);

export type WireError =
  | { name: 'WrongExpectedRevision'; stream: string; expected: WrongExpectedRevision['expected']; actual: WrongExpectedRevision['actual'] }
  | { name: 'DuplicateEventId'; stream: string; eventId: string; reason: string }
  | { name: string; message: string; code?: string; stack?: string };

export function connectionSettingsOf(db: Database.Database): ConnectionSettings {
  const pragma = (name: string) => Number(db.pragma(name, { simple: true }));
  return {
    cacheSize: pragma('cache_size'),
    synchronous: pragma('synchronous'),
    busyTimeout: pragma('busy_timeout'),
    walAutocheckpoint: pragma('wal_autocheckpoint'),
  };
}

export function toWire(error: unknown): WireError {
  if (error instanceof WrongExpectedRevision)
    return { name: 'WrongExpectedRevision', stream: error.stream, expected: error.expected, actual: error.actual };
  if (error instanceof DuplicateEventId)
    return { name: 'DuplicateEventId', stream: error.stream, eventId: error.eventId, reason: error.reason };
  if (error instanceof Error)
    return { name: error.name, message: error.message, code: (error as { code?: string }).code, stack: error.stack };
  return { name: 'Error', message: String(error) };
}

export function fromWire(wire: WireError): Error {
  if (wire.name === 'WrongExpectedRevision' && 'expected' in wire)
    return new WrongExpectedRevision(wire.stream, wire.expected, wire.actual);
  if (wire.name === 'DuplicateEventId' && 'eventId' in wire) return new DuplicateEventId(wire.stream, wire.eventId, wire.reason);
  const { name, message, code, stack } = wire as { name: string; message: string; code?: string; stack?: string };
  // A SqliteError keeps its code (SQLITE_BUSY, SQLITE_FULL...), which callers may test.
  const error = Object.assign(new Error(message), code ? { code } : {});
  error.name = name;
  if (stack) error.stack = stack;
  return error;
}
