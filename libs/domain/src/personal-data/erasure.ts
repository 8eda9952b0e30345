/**
 * How folds and read models apply a `PersonalDataErased` (personal-data.ts): the personal fields
 * they had already read become ERASED; ids, times, counts, statuses and due dates stay. Pure.
 *
 * The store's encryption layer makes the events themselves read as ERASED once the keys are gone,
 * so a rebuild folds ERASED from the start; these functions make a fold (or a read model) that had
 * read the data before the keys went end in the same place.
 */
import { dataSubjectOf, ERASED, type DataSubjectId, type ErasureReason, type PersonalDataErased } from './personal-data';

export const PERSONAL_DATA_ERASED = 'PersonalDataErased' as const;

export const isPersonalDataErased = (event: { type: string; data?: unknown }): event is PersonalDataErased =>
  event.type === PERSONAL_DATA_ERASED;

/** Is this value what erased data reads as? */
export const isErased = (value: unknown): boolean => value === ERASED;

/**
 * A personal string as it reads once erased: ERASED where there was something, and '' or absent
 * left as they were (they held nothing, and '' means "not known", e.g. a requester with no email).
 */
export function erasedValue<T extends string | undefined | null>(value: T): T {
  return (value ? ERASED : value) as T;
}

/**
 * Fields of a request event's data that hold the requester's personal data (shown on the timeline):
 * what an erasure blanks in a request's timeline entries. The requester block itself never reaches
 * the timeline. Keep in step with the encryption layer's list of personal fields.
 */
export const REQUEST_TEXT_FIELDS: Readonly<Record<string, readonly string[]>> = {
  ContactRequestSubmitted: ['subject', 'message'],
  OfficerResponded: ['summary'],
  RequestResolved: ['outcome'],
  RequestReopened: ['reason'],
};

/** A request event's data with its personal text fields erased (the same object when it has none). */
export function eraseRequestEventData<D extends Record<string, unknown>>(type: string, data: D): D {
  const fields = REQUEST_TEXT_FIELDS[type];
  if (!fields || !fields.some((f) => typeof data[f] === 'string' && data[f] !== '' && data[f] !== ERASED)) return data;
  const out: Record<string, unknown> = { ...data };
  for (const f of fields) if (typeof out[f] === 'string') out[f] = erasedValue(out[f] as string);
  return out as D;
}

/** What an erasure records besides what it erases (G3's API and the retention job fill it in). */
export interface ErasureFacts {
  erasureId: string;
  reason: ErasureReason;
  by: string;
  at: string;
}

/** The erasure event for a request, user account or call stream: the whole stream's personal data is one person's. */
export const personalDataErased = (facts: ErasureFacts, scope: { contacts?: number[]; childName?: boolean } = {}): PersonalDataErased => ({
  type: PERSONAL_DATA_ERASED,
  data: {
    schemaVersion: 1,
    ...facts,
    ...(scope.contacts && scope.contacts.length > 0 ? { contacts: [...scope.contacts] } : {}),
    ...(scope.childName ? { childName: true } : {}),
  },
});

/**
 * The indexes in a case's contacts (as folded now) of the contacts who are this data subject: what
 * a case stream's erasure event names. Contacts already erased are not named again.
 */
export function contactIndexesOf(
  contacts: ReadonlyArray<{ userId?: string; phone?: string; email?: string; name: string }>,
  subject: DataSubjectId,
): number[] {
  const out: number[] = [];
  contacts.forEach((c, i) => {
    if (isErased(c.name)) return;
    if (dataSubjectOf(c) === subject) out.push(i);
  });
  return out;
}
