import type Database from 'better-sqlite3';
import { retriedAppendResult } from '../idempotent-retry';
import {
  DuplicateEventId,
  WrongExpectedRevision,
  type AppendResult,
  type EventMetadata,
  type ExpectedRevision,
  type RecordedEvent,
} from '../event-store.port';
import { faultSeamSync } from '../fault-seam';
import { DataKeysExist, type NewDataKeyRow } from '../personal-data/data-key-store.port';
import {
  SQLITE_ANY_DATA_KEY_IN_SCOPE,
  SQLITE_DATA_KEYS_SCHEMA,
  SQLITE_INSERT_DATA_KEY,
  dataKeyRowValues,
} from '../personal-data/sqlite-data-keys-table';

/**
 * One group commit of the SQLite store, the same code whichever thread runs it: the api's own
 * (writer: 'inline') or the store's writer thread (writer: 'thread', sqlite-writer.thread.ts).
 * Items carry their data and metadata already as JSON (append() serialised them to check the size),
 * so handing them to another thread copies strings, not object graphs.
 */

export const COLUMNS = 'position, id, stream_id, revision, type, data, metadata, recorded_at';

export interface Row {
  position: number | bigint;
  id: string;
  stream_id: string;
  revision: number | bigint;
  type: string;
  data: string;
  metadata: string;
  recorded_at: string;
}

/** A Row as a raw statement returns it: the values of COLUMNS, in order. */
export type RawRow = [
  position: number | bigint,
  id: string,
  streamId: string,
  revision: number | bigint,
  type: string,
  data: string,
  metadata: string,
  recordedAt: string,
];

/** One append as the committer needs it. */
export interface BatchItem {
  stream: string;
  expected: ExpectedRevision;
  events: { id: string; type: string; data: string; metadata: string }[];
  /** New data keys of the stream, stored in the same transaction as its first events (AppendOptions.dataKeys). */
  dataKeys?: NewDataKeyRow[];
}

/**
 * What became of one append: new rows (their positions, in order; revisions end at nextRevision),
 * an idempotent retry (the stored events, as read back), or its own error.
 */
export type ItemOutcome =
  | { kind: 'appended'; nextRevision: bigint; positions: bigint[] }
  | { kind: 'retried'; result: AppendResult }
  | { kind: 'failed'; error: unknown };

export interface BatchOutcome {
  /** The batch's one recordedAt (ISO 8601). */
  recordedAt: string;
  outcomes: ItemOutcome[];
}

/**
 * Returns the function that commits a batch in ONE `BEGIN IMMEDIATE ... COMMIT` on `db`, each append
 * checked on its own, in call order. It throws only when BEGIN or COMMIT itself failed (busy past
 * the timeout, disk full...): then nothing of the batch is stored and the caller rejects it whole.
 */
export function batchCommitter(db: Database.Database): (items: BatchItem[]) => BatchOutcome {
  const stmt = {
    streamHead: db.prepare<[string], { revision: number }>(
      'SELECT revision FROM events WHERE stream_id = ? ORDER BY revision DESC LIMIT 1',
    ),
    byId: db.prepare<[string], Row>(`SELECT ${COLUMNS} FROM events WHERE id = ?`),
    insert: db.prepare<[string, string, bigint, string, string, string, string]>(
      'INSERT INTO events (id, stream_id, revision, type, data, metadata, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
    ),
  };
  /** The key table's statements, prepared on the first append that carries keys (the table may be made then). */
  let keyStmt: { anyInScope: Database.Statement<[string], { one: number }>; insert: Database.Statement<unknown[]> } | null = null;
  const keyStatements = () => {
    if (!keyStmt) {
      db.exec(SQLITE_DATA_KEYS_SCHEMA);
      keyStmt = { anyInScope: db.prepare(SQLITE_ANY_DATA_KEY_IN_SCOPE), insert: db.prepare(SQLITE_INSERT_DATA_KEY) };
    }
    return keyStmt;
  };
  /** True once the append being applied has inserted a row (a failure then needs a rollback). */
  let inserting = false;
  let failedMidAppend = false;

  /** One append. Throws to refuse it (before any insert) or to roll it back (after one). */
  const applyAppend = (item: BatchItem, recordedAt: string): ItemOutcome => {
    const { stream, events } = item;
    const existing = stmt.byId.get(events[0].id);
    if (existing) {
      // The first id is already stored: a retry only if the whole append is (the shared rule).
      const ids = events.map((e) => e.id);
      return { kind: 'retried', result: retriedAppendResult(stream, ids, existing, (id) => stmt.byId.get(id), toRecorded) };
    }

    const head = stmt.streamHead.get(stream);
    const current = head ? BigInt(head.revision) : ('no_stream' as const);
    const expected = item.expected;
    if (expected === 'no_stream' ? current !== 'no_stream' : expected !== 'any' && expected !== current) {
      throw new WrongExpectedRevision(stream, expected, current);
    }

    for (let i = 1; i < events.length; i++) {
      if (stmt.byId.get(events[i].id)) {
        throw new DuplicateEventId(
          stream,
          events[i].id,
          'is already stored while earlier ids of this append are new: a partly-overlapping append is refused',
        );
      }
    }

    // Keys come only with a new stream's first events, into a scope without keys: otherwise events
    // of this stream could be under another key of this subject (made for an append that failed).
    const keys = item.dataKeys?.length ? keyStatements() : null;
    if (keys) {
      for (const scope of new Set(item.dataKeys!.map((k) => k.scope))) if (keys.anyInScope.get(scope)) throw new DataKeysExist(scope);
    }

    let revision = current === 'no_stream' ? -1n : current;
    const positions: bigint[] = [];
    inserting = true;
    if (keys) for (const row of item.dataKeys!) keys.insert.run(...dataKeyRowValues(row));
    for (const e of events) {
      revision += 1n;
      let info: Database.RunResult;
      try {
        info = stmt.insert.run(e.id, stream, revision, e.type, e.data, e.metadata, recordedAt);
      } catch (error) {
        if ((error as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE' && stmt.byId.get(e.id)) {
          throw new DuplicateEventId(
            stream,
            e.id,
            'is already stored, but the append is not a retry of the one that stored it (only some of its ids are stored)',
          );
        }
        throw error;
      }
      positions.push(BigInt(info.lastInsertRowid));
    }
    return { kind: 'appended', nextRevision: revision, positions };
  };

  // Fast path: every check of an append (revision, every id) runs before its first insert, so an
  // append refused by a check has written nothing and needs no SAVEPOINT. An error after an
  // append's first insert (I/O, an unforeseen constraint) aborts the whole transaction, and the
  // batch is replayed on the safe path: one SAVEPOINT per append (nested better-sqlite3
  // transactions), so that append alone is rolled back and rejected.
  const fast = db.transaction((items: BatchItem[], recordedAt: string, outcomes: ItemOutcome[]) => {
    for (const item of items) {
      inserting = false;
      try {
        outcomes.push(applyAppend(item, recordedAt));
        // The fault runner's mid-append point: rows inserted, transaction not committed. On the
        // writer thread it stops that thread only; the runner then SIGKILLs the whole process.
        faultSeamSync('mid-append');
      } catch (error) {
        if (inserting) {
          failedMidAppend = true;
          throw error;
        }
        outcomes.push({ kind: 'failed', error });
      }
    }
  });
  const appendOne = db.transaction((item: BatchItem, recordedAt: string) => applyAppend(item, recordedAt));
  const safe = db.transaction((items: BatchItem[], recordedAt: string, outcomes: ItemOutcome[]) => {
    for (const item of items) {
      try {
        outcomes.push(appendOne(item, recordedAt));
      } catch (error) {
        outcomes.push({ kind: 'failed', error });
      }
    }
  });

  return (items) => {
    const recordedAt = new Date().toISOString();
    failedMidAppend = false;
    let outcomes: ItemOutcome[] = [];
    try {
      fast.immediate(items, recordedAt, outcomes);
    } catch (error) {
      if (!failedMidAppend) throw error; // BEGIN or COMMIT failed: the caller rejects the batch
      outcomes = [];
      safe.immediate(items, recordedAt, outcomes);
    }
    return { recordedAt, outcomes };
  };
}

export function toRecorded(row: Row): RecordedEvent {
  return {
    id: row.id,
    streamId: row.stream_id,
    type: row.type,
    revision: BigInt(row.revision),
    position: BigInt(row.position),
    data: JSON.parse(row.data),
    metadata: JSON.parse(row.metadata),
    recordedAt: new Date(row.recorded_at),
  };
}

/** toRecorded for a row read as an array (a raw statement). */
export function toRecordedRaw(row: RawRow, recordedAt: Date = new Date(row[7])): RecordedEvent {
  return {
    id: row[1],
    streamId: row[2],
    type: row[4],
    revision: BigInt(row[3]),
    position: BigInt(row[0]),
    data: JSON.parse(row[5]),
    metadata: JSON.parse(row[6]),
    recordedAt,
  };
}

/** The AppendResult of an outcome, its events built from the caller's own input (no re-parse). */
export function appendResultOf(
  outcome: Exclude<ItemOutcome, { kind: 'failed' }>,
  stream: string,
  raw: readonly { id: string; type: string; data: unknown; metadata?: EventMetadata }[],
  recordedAt: string,
): AppendResult {
  if (outcome.kind === 'retried') return outcome.result;
  const at = new Date(recordedAt);
  const first = outcome.nextRevision - BigInt(raw.length - 1);
  const events: RecordedEvent[] = raw.map((e, i) => ({
    id: e.id,
    streamId: stream,
    type: e.type,
    revision: first + BigInt(i),
    position: outcome.positions[i],
    data: (e.data ?? {}) as Record<string, unknown>,
    metadata: (e.metadata ?? {}) as EventMetadata,
    recordedAt: at,
  }));
  return { nextRevision: outcome.nextRevision, position: outcome.positions[outcome.positions.length - 1], events };
}
