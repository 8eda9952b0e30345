/**
 * Personal data (shared DESIGN.md "Personal data", API.md "Personal data"). Pure: which person a
 * piece of data is about, what reads where it was erased, and the event that records an erasure.
 *
 * Personal fields are stored encrypted under data keys kept outside the event stream (the store's
 * encryption layer, @send/event-store `DataKeyStore`); erasing deletes the keys (crypto-shredding),
 * and a `PersonalDataErased` event in every stream that held the person's data lets folds and read
 * models drop what they had already decrypted, while ids, times, types and counts stay whole.
 */

/** What every answer, page and read model shows where personal data was erased. */
export const ERASED = '[erased]';

/**
 * A data subject: a portal user's id, or `contact:<E.164 phone or lower-case email>` for a contact
 * without an account (API.md). The child's own data (the case's child name) is `case:<caseRef>`.
 */
export type DataSubjectId = string;
export const CONTACT_SUBJECT_PREFIX = 'contact:';
export const CASE_SUBJECT_PREFIX = 'case:';

/** The subject a requester or case contact is: their account, else their phone, else their email; null if none. */
export function dataSubjectOf(person: { userId?: string; phone?: string; email?: string }): DataSubjectId | null {
  if (person.userId) return person.userId;
  if (person.phone) return CONTACT_SUBJECT_PREFIX + person.phone;
  if (person.email) return CONTACT_SUBJECT_PREFIX + person.email.toLowerCase();
  return null;
}
export const caseSubjectId = (caseRef: string): DataSubjectId => CASE_SUBJECT_PREFIX + caseRef;

/** Why data was erased: a data subject's erasure request, or the retention policy. */
export type ErasureReason = 'erasure' | 'retention';

/**
 * Appended to each stream that held an erased person's data (a request, a case, a user account, a
 * call), after their keys are deleted. It carries no personal data: in a case stream, `contacts`
 * names the erased contacts by their index in the folded case's `contacts` at that point (a case
 * holds several people); in a request, user or call stream the whole stream's personal data is one
 * person's. `childName: true` in a case stream erases the child's name (the case's own subject).
 */
export type PersonalDataErased = {
  type: 'PersonalDataErased';
  data: {
    schemaVersion: 1;
    erasureId: string;
    reason: ErasureReason;
    by: string;
    at: string;
    contacts?: number[];
    childName?: boolean;
  };
};
