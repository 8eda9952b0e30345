import { DuplicateEventId, type AppendResult, type RecordedEvent } from '../event-store.port';

/** What comparing an append's ids with the stored events decided. */
export type TailComparison = { kind: 'append' } | { kind: 'already-stored'; result: AppendResult };

/**
 * Whether an append is a retry of one already stored, judged from the events of its stream that
 * could hold it (`stored`, in revision order), with the SQLite adapter's rules (its
 * `idempotentResult`):
 * - none of the ids stored: append;
 * - all of them stored, in the same order, at consecutive revisions: a no-op answering the
 *   original result (the revision and position of the last of them, and the events);
 * - anything else (only some stored, stored in another order, a later id stored while the first
 *   is new): DuplicateEventId, never half-applied.
 *
 * Why the adapter needs it: the server's own check is not enough. With an exact expected revision it
 * recognises repeated ids only when the revision is BELOW the stream's current one, so the same
 * append at the current revision is written again (IndexWriter.cs CheckCommit, "strong
 * idempotency checks", `if (expectedVersion < curVersion)`); with `any` it looks ids up in a
 * bounded in-memory cache (`_committedEvents`, ESConsts.CommittedEventsMemCacheLimit = 8 MiB) that
 * a restart empties; and a partial overlap comes back as a WrongExpectedVersion
 * (CommitDecision.CorruptedIdempotency is counted as a consistency failure in
 * StorageWriterService.cs VerifyCommitChecks), not as a duplicate.
 */
export function compareWithStored(stream: string, ids: readonly string[], stored: readonly RecordedEvent[]): TailComparison {
  const at = new Map<string, number>();
  stored.forEach((event, index) => at.set(event.id, index));
  const first = at.get(ids[0]);
  if (first === undefined) {
    const later = ids.find((id) => at.has(id));
    if (later !== undefined) {
      throw new DuplicateEventId(
        stream,
        later,
        'is already stored while earlier ids of this append are new: a partly-overlapping append is refused',
      );
    }
    return { kind: 'append' };
  }
  for (let i = 1; i < ids.length; i++) {
    const event = stored[first + i];
    if (event?.id === ids[i]) continue;
    throw new DuplicateEventId(
      stream,
      ids[i],
      at.has(ids[i])
        ? 'is stored, but not right after the previous id of this append: not a retry of the same append'
        : 'is new while earlier ids of this append are already stored: a partly-overlapping append is rejected',
    );
  }
  const events = stored.slice(first, first + ids.length);
  const last = events[events.length - 1];
  return { kind: 'already-stored', result: { nextRevision: last.revision, position: last.position, events } };
}

/**
 * Bytes the server counts for an append, as it counts them: data + metadata + 2 bytes per char of
 * the type (server Data/Event.cs SizeOnDisk, summed in Transport/Grpc/Streams.Append.cs against
 * MaxAppendSize).
 */
export function appendSize(events: readonly { type: string; data: string; metadata: string }[]): number {
  let bytes = 0;
  for (const e of events) bytes += Buffer.byteLength(e.data, 'utf8') + Buffer.byteLength(e.metadata, 'utf8') + e.type.length * 2;
  return bytes;
}
