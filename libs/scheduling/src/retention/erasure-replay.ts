import {
  caseRefOf,
  caseSubjectId,
  dataSubjectOf,
  ERASED,
  foldCase,
  PERSONAL_DATA_ERASED,
  type DataSubjectErased,
  type DataSubjectId,
  type PersonalDataErased,
} from '@send/domain';
import { readAllToHead, TakeTurns, withoutDecryption, type DataKeyStore, type EventStore, type RecordedEvent } from '@send/event-store';

export interface ReplayErasuresOptions {
  /** The store as the apps have it (decrypting): a case stream is read through it to find whose keys its erasure deleted. */
  store: EventStore;
  dataKeys: DataKeyStore;
  /** Told after the scan (`done` 0) and after each erasure replayed. */
  onProgress?(progress: { done: number; total: number }): void;
}

export interface ReplayErasuresReport {
  /** PersonalDataErased events in the store: a stream each, marked by an erasure or by retention. */
  marks: number;
  /** Erasure records (DataSubjectErased), one per erasure of a person. */
  records: number;
  /** Keys deleted again: those a restored key backup had brought back. 0 when the keys were as the erasures left them. */
  keysDeleted: number;
  ms: number;
}

/**
 * Erasures replayed on the data keys (ADR 0017, "After a restore"). An erasure deletes keys and
 * marks each stream that held the person's data with a PersonalDataErased; a key backup made before
 * it still holds those keys, so restoring one would make the erased data readable again. This reads
 * every PersonalDataErased in the store and deletes again the keys it stands for, made before it was
 * recorded (keys made since, for data written after the erasure, stay):
 * - a request, user or call stream: every key of the stream (its personal data is one person's);
 * - a case stream: the keys of the contacts it names, as the case stood just before it, and the
 *   case's own key when it erased the child's name;
 * and every key an erasure's record (DataSubjectErased) lists as deleted, which also reaches a case
 * the person had been unlinked from (no mark names them there). Records made before they listed
 * their keys have only the marks. Idempotent: keys already gone delete nothing, so it may run after
 * every restore, or at any time.
 */
export async function replayErasures(options: ReplayErasuresOptions): Promise<ReplayErasuresReport> {
  const started = Date.now();
  const { store, dataKeys } = options;
  // The marks carry no personal data: read them without decrypting every event on the way.
  const marks: RecordedEvent[] = [];
  await readAllToHead(withoutDecryption(store), (event) => void marks.push(event), { eventTypes: [PERSONAL_DATA_ERASED, ERASURE_RECORD] });

  const records = marks.filter((e) => e.type === ERASURE_RECORD).length;
  const report: ReplayErasuresReport = { marks: marks.length - records, records, keysDeleted: 0, ms: 0 };
  // A case stream as it reads now, before this run deletes anything of it: whose each mark named.
  const cases = new Map<string, RecordedEvent[]>();
  // The SQLite key store answers in microtasks: hand the event loop over now and then (the worker runs this nightly).
  const turns = new TakeTurns();
  options.onProgress?.({ done: 0, total: marks.length });
  for (const [i, mark] of marks.entries()) {
    const turn = turns.turn();
    if (turn) await turn;
    const caseRef = caseRefOf(mark.streamId);
    let deleted: number;
    if (mark.type === ERASURE_RECORD) {
      const keyIds = (mark.data as DataSubjectErased['data']).keyIds ?? [];
      deleted = keyIds.length > 0 ? await dataKeys.eraseKeys(keyIds) : 0;
    } else if (caseRef === null) deleted = await dataKeys.eraseScopeBefore(mark.streamId, mark.recordedAt);
    else {
      let events = cases.get(mark.streamId);
      if (!events) cases.set(mark.streamId, (events = await store.read(mark.streamId)));
      const subjects = caseSubjectsErased(caseRef, events, mark);
      deleted = subjects.length > 0 ? await dataKeys.eraseScopeBefore(mark.streamId, mark.recordedAt, subjects) : 0;
    }
    report.keysDeleted += deleted;
    options.onProgress?.({ done: i + 1, total: marks.length });
  }
  report.ms = Date.now() - started;
  return report;
}

const ERASURE_RECORD: DataSubjectErased['type'] = 'DataSubjectErased';

/** Whose keys a case stream's PersonalDataErased deleted: the contacts it names as the case stood before it, and the case's own for the child's name. */
function caseSubjectsErased(caseRef: string, events: readonly RecordedEvent[], mark: RecordedEvent): DataSubjectId[] {
  const data = mark.data as PersonalDataErased['data'];
  const before = foldCase(events.filter((e) => e.revision < mark.revision));
  const subjects = new Set<DataSubjectId>();
  for (const index of data.contacts ?? []) {
    const contact = before?.contacts[index];
    const subject = contact && dataSubjectOf(contact);
    // A contact already reading as erased names no one (their keys are gone already).
    if (subject && !subject.includes(ERASED)) subjects.add(subject);
  }
  if (data.childName) subjects.add(caseSubjectId(caseRef));
  return [...subjects];
}
