/**
 * Erasure and retention, the pure part (issue 14, ADR 0017): which of a case's contacts are one
 * data subject, the PersonalDataErased event each kind of stream gets, and ids that make a retried
 * erasure or retention run append nothing new. The app finds the streams and deletes the keys.
 */
import { v5 as uuidv5 } from 'uuid';
import type { CaseState } from '../case/case';
import { contactIndexesOf, personalDataErased } from './erasure';
import { caseSubjectId, type DataSubjectId, type ErasureReason, type PersonalDataErased } from './personal-data';

/** Fixed forever: erasure and event ids derive from it, so a retry finds the first try's. */
const ERASURE_NAMESPACE = '9b3f61c2-0d7e-4a55-8c1b-3e2f4a6d7c90';

/** Where each erasure is recorded (no personal data: the subject appears only as a keyed hash). */
export const ERASURE_STREAM_PREFIX = 'data-erasure-';
export const erasureStreamId = (subjectHash: string): string => ERASURE_STREAM_PREFIX + subjectHash;

/** The event recording one erasure in its erasure stream: what was done, never whose data it was. */
export type DataSubjectErased = {
  type: 'DataSubjectErased';
  data: {
    schemaVersion: 1;
    erasureId: string;
    /** A keyed hash of the subject id (HMAC-SHA256): finds earlier erasures of the same person, names nobody. */
    subjectHash: string;
    /** Free text from the manager; it must not contain personal data (ADR 0017). */
    reason: string;
    /** Erased while a request of theirs was still open. */
    forced: boolean;
    /** Keyed hashes of the streams marked with PersonalDataErased (a user stream's id would name the person). */
    streamHashes: string[];
    /**
     * The ids of the data keys it deleted (random: they name nobody), so that a replay after a
     * restore deletes them again, also in a stream it could not mark. Absent in records made before.
     */
    keyIds?: string[];
    by: string;
    at: string;
  };
};

/**
 * The PersonalDataErased for one stream, or null when the stream holds nothing of the subject's. A
 * case stream names the subject's contacts (and the child's name when the subject is the case's
 * own); any other stream's personal data is all one person's, so the event names nothing.
 */
export function personalDataErasedFor(
  subject: DataSubjectId,
  stream: { kind: 'case'; state: CaseState | null } | { kind: 'whole' },
  by: { erasureId: string; reason: ErasureReason; by: string; at: string },
): PersonalDataErased | null {
  if (stream.kind === 'whole') return personalDataErased(by);
  if (!stream.state) return null;
  const contacts = contactIndexesOf(stream.state.contacts, subject);
  const childName = subject === caseSubjectId(stream.state.caseRef);
  if (contacts.length === 0 && !childName) return null;
  return personalDataErased(by, { contacts, childName });
}

/** The id of the PersonalDataErased an erasure appends to a stream: a retry re-appends the same id (a no-op). */
export const erasureEventId = (erasureId: string, streamId: string): string => uuidv5(`erased:${erasureId}:${streamId}`, ERASURE_NAMESPACE);

/** An erasure's id: from the caller's Idempotency-Key when given, else from the subject and how many erasures came before. */
export const erasureIdFor = (subjectHash: string, discriminator: string): string =>
  uuidv5(`erasure:${subjectHash}:${discriminator}`, ERASURE_NAMESPACE);

/** Retention erases a request once: its erasure id is the stream's, so every run agrees on it. */
export const retentionErasureId = (streamId: string): string => uuidv5(`retention:${streamId}`, ERASURE_NAMESPACE);
