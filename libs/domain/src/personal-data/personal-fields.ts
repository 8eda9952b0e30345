/**
 * Which string fields of a stored event are personal data, and whose (issue 14, ADR 0016). Pure
 * domain knowledge: the event store's encrypting layer asks it for every event it appends and
 * encrypts exactly these fields under the data key of their subject in that stream. Ids (uuid v5 of
 * an email included), case references, times, statuses and counts are not personal fields: they stay
 * readable so clocks, queues and dashboards stay whole after an erasure.
 */
import { caseRefOf } from '../case/case';
import { dataSubjectOf, caseSubjectId, type DataSubjectId } from './personal-data';

/**
 * The subject of a person who has nothing to know them by (a requester entered with a name only):
 * the stream itself, so their data is still under a key of its own, erased with the stream.
 */
export const STREAM_SUBJECT_PREFIX = 'stream:';
export const streamSubjectId = (streamId: string): DataSubjectId => STREAM_SUBJECT_PREFIX + streamId;

/**
 * Whose a personal field is:
 * - `subject`: this data subject;
 * - `streamOwner`: whoever owns the stream (the requester of a request: an officer's summary or an
 *   outcome is about the family), known to the key store as the stream's first subject;
 * - `fromStream`: found in the stream's earlier events (a case contact's unlink names the contact
 *   only by its contactId: their subject is the one the link gave them).
 * `otherwise`: the subject to use when the owner or the earlier event cannot be found.
 */
export type PersonalFieldSubject =
  | { kind: 'subject'; subjectId: DataSubjectId }
  | { kind: 'streamOwner'; otherwise: DataSubjectId }
  | {
      kind: 'fromStream';
      find: (earlier: ReadonlyArray<{ type: string; data: unknown }>) => DataSubjectId | null;
      otherwise: DataSubjectId;
    };

/** A personal field: where it is in the event's data (object keys, outermost first), and whose it is. */
export interface PersonalField {
  path: readonly string[];
  subject: PersonalFieldSubject;
}

type Data = Record<string, unknown>;
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const obj = (v: unknown): Data => (v && typeof v === 'object' ? (v as Data) : {});
const subject = (subjectId: DataSubjectId): PersonalFieldSubject => ({ kind: 'subject', subjectId });
const fields = (paths: readonly (readonly string[])[], whose: PersonalFieldSubject): PersonalField[] =>
  paths.map((path) => ({ path, subject: whose }));

/**
 * The personal fields of one event as stored (any schema version). Unknown types have none. Fields
 * the event does not carry are listed all the same: the encrypting layer skips what is not a string.
 */
export function personalFieldsOf(event: { streamId: string; type: string; data: unknown }): PersonalField[] {
  const { streamId, type } = event;
  const data = obj(event.data);
  const owner: PersonalFieldSubject = { kind: 'streamOwner', otherwise: streamSubjectId(streamId) };
  switch (type) {
    // --- a contact request: the requester's own words and details; what staff write back is about them too ---
    case 'ContactRequestSubmitted': {
      const requester = obj(data['requester']);
      if (data['requester'] !== undefined) {
        const id = dataSubjectOf({ userId: str(requester['userId']), phone: str(requester['phone']), email: str(requester['email']) });
        return fields(
          [['requester', 'name'], ['requester', 'email'], ['requester', 'phone'], ['subject'], ['message']],
          subject(id ?? streamSubjectId(streamId)),
        );
      }
      // v0 (the prototype): the requester flattened into requesterName/-Email/-Phone (see upcast).
      const id = dataSubjectOf({ phone: str(data['requesterPhone']), email: str(data['requesterEmail']) });
      return fields(
        [['requesterName'], ['requesterEmail'], ['requesterPhone'], ['subject'], ['message']],
        subject(id ?? streamSubjectId(streamId)),
      );
    }
    case 'OfficerResponded':
      return fields([['summary']], owner);
    case 'RequestResolved':
      return fields([['outcome']], owner);
    case 'RequestReopened':
      return fields([['reason']], owner);

    // --- a case: the child's name is the case's own subject; each contact is a person of their own ---
    case 'CaseOpened':
    case 'CaseUpdated':
      return fields([['childName']], subject(caseSubjectId(str(data['caseRef']) ?? caseRefOf(streamId) ?? streamId)));
    case 'CaseContactLinked': {
      const contact = obj(data['contact']);
      const id = dataSubjectOf({ userId: str(contact['userId']), phone: str(contact['phone']), email: str(contact['email']) });
      return fields(
        [
          ['contact', 'name'],
          ['contact', 'email'],
          ['contact', 'phone'],
          ['contact', 'contactId'],
        ],
        subject(id ?? streamSubjectId(streamId)),
      );
    }
    case 'CaseContactUnlinked': {
      const contactId = str(data['contactId']);
      return fields([['contactId']], {
        kind: 'fromStream',
        find: (earlier) => (contactId === undefined ? null : subjectOfLinkedContact(earlier, contactId)),
        otherwise: streamSubjectId(streamId),
      });
    }

    // --- a user account: their name and email (the id, a uuid v5 of the email, stays) ---
    case 'UserRegistered':
      return fields([['name'], ['email']], subject(str(data['userId']) ?? streamSubjectId(streamId)));

    // --- a telephone call: the caller's number ---
    case 'CallReceived':
    case 'CallUnmatched':
    case 'CallLinked': {
      const number = str(data['number']) ?? str(obj(data['call'])['from']);
      const whose = subject(number ? dataSubjectOf({ phone: number })! : streamSubjectId(streamId));
      return fields(type === 'CallReceived' ? [['call', 'from'], ['number']] : [['number']], whose);
    }
    default:
      return [];
  }
}

/** The subject a case contact was linked as: the last CaseContactLinked of that contactId before now. */
export function subjectOfLinkedContact(earlier: ReadonlyArray<{ type: string; data: unknown }>, contactId: string): DataSubjectId | null {
  for (let i = earlier.length - 1; i >= 0; i--) {
    const e = earlier[i];
    if (e.type !== 'CaseContactLinked') continue;
    const contact = obj(obj(e.data)['contact']);
    if (contact['contactId'] !== contactId) continue;
    return dataSubjectOf({ userId: str(contact['userId']), phone: str(contact['phone']), email: str(contact['email']) });
  }
  return null;
}
