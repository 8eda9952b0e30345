import { DuplicateEventId, type AppendResult, type RecordedEvent } from './event-store.port';

/** What the retry rule reads of a stored row, in either adapter's column types. */
interface StoredRow {
  id: string;
  stream_id: string;
  revision: number | bigint | string;
}

/**
 * The first id of an append is already stored. The append is a retry (a no-op answering the
 * original result) only if ALL its ids are stored in this stream, at consecutive revisions, in the
 * same order. Anything else is a DuplicateEventId: never half-applied, never silently partial.
 * One rule for the SQLite and PostgreSQL adapters; each passes its own row lookup and mapping.
 */
export function retriedAppendResult<R extends StoredRow>(
  stream: string,
  ids: readonly string[],
  first: R,
  storedRow: (id: string) => R | undefined,
  toRecorded: (row: R) => RecordedEvent,
): AppendResult {
  if (first.stream_id !== stream) {
    throw new DuplicateEventId(stream, first.id, `is already stored in stream ${first.stream_id} (event ids are unique per store)`);
  }
  const rows = [first];
  for (let i = 1; i < ids.length; i++) {
    const row = storedRow(ids[i]);
    if (!row || row.stream_id !== stream || BigInt(row.revision) !== BigInt(first.revision) + BigInt(i)) {
      throw new DuplicateEventId(
        stream,
        ids[i],
        row
          ? 'is stored, but not right after the previous id of this append: not a retry of the same append'
          : 'is new while earlier ids of this append are already stored: a partly-overlapping append is rejected',
      );
    }
    rows.push(row);
  }
  const recorded = rows.map(toRecorded);
  const last = recorded[recorded.length - 1];
  return { nextRevision: last.revision, position: last.position, events: recorded };
}
