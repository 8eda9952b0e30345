/**
 * The case: a child's SEND case as the council's case management system knows it (shared DESIGN.md,
 * "Cases, routing and scope"): area team, named case officer, linked contacts. Stream
 * `case-<caseRef>`. A decider like the request's: `decide` holds the rules, `evolve` only records facts.
 *
 * Cases arrive by import and by a small API, both as "this is the case now" (`SyncCase`): the
 * decider turns that into the events for what changed, so the same input twice appends nothing.
 * A contact is known within its case by a key made from its email, else its phone, else its name,
 * so a re-import that changes a contact's phone updates that contact rather than adding another.
 */
import { DomainError, InvalidCommand } from '../contact-request/errors';
import { erasedValue, isErased } from '../personal-data/erasure';
import { ERASED, type PersonalDataErased } from '../personal-data/personal-data';
import { isE164 } from './phone';

export const CASE_STREAM_PREFIX = 'case-';
export const caseStreamId = (caseRef: string): string => CASE_STREAM_PREFIX + caseRef;
export const caseRefOf = (streamId: string): string | null =>
  streamId.startsWith(CASE_STREAM_PREFIX) ? streamId.slice(CASE_STREAM_PREFIX.length) : null;

/** Case numbers as councils' systems print them: letters, digits and `-/._`, up to 64 characters. */
export const CASE_REF_PATTERN = /^[A-Za-z0-9][A-Za-z0-9\-/._]{0,63}$/;
export const isCaseRef = (value: string): boolean => CASE_REF_PATTERN.test(value);
/** Team ids: lower-case slugs (`north`, `south-east`). */
export const TEAM_ID_PATTERN = /^[a-z0-9][a-z0-9_-]{0,63}$/;

export interface CaseContact {
  /** Stable within the case: `email:<email>`, else `phone:<E.164>`, else `name:<name>` (see contactKey). */
  contactId: string;
  name: string;
  /** e.g. mother, father, carer, SENCo, social worker. */
  relationship: string;
  /** Lower case. */
  email?: string;
  /** E.164. */
  phone?: string;
  /** The contact's portal account, when they have one. */
  userId?: string;
}

export type CaseContactInput = Omit<CaseContact, 'contactId'>;

export const contactKey = (c: Pick<CaseContact, 'name' | 'email' | 'phone'>): string =>
  c.email ? `email:${c.email.toLowerCase()}` : c.phone ? `phone:${c.phone}` : `name:${c.name.trim().toLowerCase()}`;

type V1<D> = D & { schemaVersion: 1 };
type Ev<T extends string, D> = { type: T; data: V1<D> };

export type CaseOpened = Ev<'CaseOpened', { caseRef: string; childName: string; teamId: string; caseOfficerId: string; at: string }>;
/** Only the fields that changed. */
export type CaseUpdated = Ev<'CaseUpdated', { caseRef: string; childName?: string; teamId?: string; caseOfficerId?: string; at: string }>;
/** A new contact, or new details for a linked one (same contactId). */
export type CaseContactLinked = Ev<'CaseContactLinked', { caseRef: string; contact: CaseContact; at: string }>;
export type CaseContactUnlinked = Ev<'CaseContactUnlinked', { caseRef: string; contactId: string; at: string }>;
export type CaseClosed = Ev<'CaseClosed', { caseRef: string; reason: string; at: string }>;
export type CaseReopened = Ev<'CaseReopened', { caseRef: string; at: string }>;

export type CaseEvent = CaseOpened | CaseUpdated | CaseContactLinked | CaseContactUnlinked | CaseClosed | CaseReopened | PersonalDataErased;
export const CASE_EVENT_TYPES: readonly CaseEvent['type'][] = [
  'CaseOpened',
  'CaseUpdated',
  'CaseContactLinked',
  'CaseContactUnlinked',
  'CaseClosed',
  'CaseReopened',
  'PersonalDataErased',
];

export interface CaseState {
  status: 'open' | 'closed';
  caseRef: string;
  childName: string;
  teamId: string;
  caseOfficerId: string;
  contacts: CaseContact[];
  openedAt: string;
  updatedAt: string;
}
export type CaseFold = CaseState | null;

/** "This is the case now": opens it, or changes what differs. `contacts`, when given, is the full set. */
export interface SyncCase {
  type: 'SyncCase';
  caseRef: string;
  childName: string;
  teamId: string;
  caseOfficerId: string;
  contacts?: CaseContactInput[];
}
export interface LinkContact {
  type: 'LinkContact';
  caseRef: string;
  contact: CaseContactInput;
}
export interface UnlinkContact {
  type: 'UnlinkContact';
  caseRef: string;
  contactId: string;
}
export interface CloseCase {
  type: 'CloseCase';
  caseRef: string;
  reason: string;
}
export type CaseCommand = SyncCase | LinkContact | UnlinkContact | CloseCase;

export class CaseNotFound extends DomainError {
  readonly code = 'case_not_found';
  readonly httpStatus = 404;
  constructor(readonly caseRef: string) {
    super(`Case ${caseRef} does not exist`);
  }
}

export const evolveCase = (state: CaseFold, event: { type: string; data: unknown }): CaseFold => {
  const e = event as CaseEvent;
  if (e.type === 'CaseOpened') {
    const d = e.data;
    return {
      status: 'open',
      caseRef: d.caseRef,
      childName: d.childName,
      teamId: d.teamId,
      caseOfficerId: d.caseOfficerId,
      contacts: [],
      openedAt: d.at,
      updatedAt: d.at,
    };
  }
  if (state === null) return state;
  switch (e.type) {
    case 'CaseUpdated': {
      const { childName, teamId, caseOfficerId, at } = e.data;
      return {
        ...state,
        childName: childName ?? state.childName,
        teamId: teamId ?? state.teamId,
        caseOfficerId: caseOfficerId ?? state.caseOfficerId,
        updatedAt: at,
      };
    }
    case 'CaseContactLinked': {
      const c = e.data.contact;
      // New details replace the contact where it stands, so the list keeps its order across re-imports.
      const index = state.contacts.findIndex((x) => sameContactId(x, c));
      const contacts = index >= 0 ? state.contacts.map((x, i) => (i === index ? c : x)) : [...state.contacts, c];
      return { ...state, contacts, updatedAt: e.data.at };
    }
    case 'CaseContactUnlinked': {
      const id = e.data.contactId;
      // An erased contact's id reads ERASED (as every erased contact's does): each such unlink removes one of them.
      const erasedAt = id === ERASED ? state.contacts.findIndex((x) => x.contactId === ERASED) : -1;
      const contacts = id === ERASED ? state.contacts.filter((_, i) => i !== erasedAt) : state.contacts.filter((x) => x.contactId !== id);
      return { ...state, contacts, updatedAt: e.data.at };
    }
    case 'CaseClosed':
      return { ...state, status: 'closed', updatedAt: e.data.at };
    case 'CaseReopened':
      return { ...state, status: 'open', updatedAt: e.data.at };
    case 'PersonalDataErased':
      return eraseCasePersonalData(state, e.data.contacts ?? [], e.data.childName === true);
    default:
      return state;
  }
};

/**
 * Is `linked` the contact `x` (a new link of it replaces it)? By contactId; a contact whose data was
 * erased reads contactId ERASED in every event of it (the store decrypts a shredded key so), so a
 * replay tells erased contacts apart by what is not personal: its relationship and portal account.
 * A live fold never meets this case (the decider never writes ERASED as an id).
 */
const sameContactId = (x: CaseContact, linked: CaseContact): boolean =>
  x.contactId === linked.contactId && (linked.contactId !== ERASED || (x.relationship === linked.relationship && x.userId === linked.userId));

/**
 * The case with the named contacts' personal data erased (their name, email, phone, and the
 * contactId made from them), and the child's name when `childName`: relationship, portal account id
 * and everything else stay. Contacts are named by index in the case as folded at the erasure; an
 * index that names no contact is ignored. The same state (===) when nothing changed.
 */
export const eraseCasePersonalData = (state: CaseState, contactIndexes: readonly number[], childName: boolean): CaseState => {
  const erase = new Set(contactIndexes);
  let changed = false;
  const contacts = state.contacts.map((c, i) => {
    if (!erase.has(i) || (isErased(c.name) && isErased(c.contactId))) return c;
    changed = true;
    return {
      ...c,
      contactId: ERASED,
      name: erasedValue(c.name),
      ...(c.email !== undefined ? { email: erasedValue(c.email) } : {}),
      ...(c.phone !== undefined ? { phone: erasedValue(c.phone) } : {}),
    };
  });
  const child = childName ? erasedValue(state.childName) : state.childName;
  if (!changed && child === state.childName) return state;
  return { ...state, childName: child, contacts };
};

export const foldCase = (events: ReadonlyArray<{ type: string; data: unknown }>): CaseFold => events.reduce<CaseFold>(evolveCase, null);

const nonEmpty = (field: string, value: unknown, max = 200): void => {
  if (typeof value !== 'string' || value.trim() === '') throw new InvalidCommand(field, 'must be a non-empty string');
  if (value.length > max) throw new InvalidCommand(field, `must be at most ${max} characters`);
};

/** The contact as stored: trimmed, email lower case, phone already E.164 (the app normalises with toE164). */
const contactOf = (input: CaseContactInput, field: string): CaseContact => {
  nonEmpty(`${field}.name`, input.name);
  nonEmpty(`${field}.relationship`, input.relationship, 100);
  const email = input.email?.trim().toLowerCase() || undefined;
  if (email !== undefined && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email))
    throw new InvalidCommand(`${field}.email`, `"${email}" is not an email address`);
  const phone = input.phone?.trim() || undefined;
  if (phone !== undefined && !isE164(phone))
    throw new InvalidCommand(`${field}.phone`, `"${phone}" is not an E.164 number (e.g. +447700900101)`);
  const contact = {
    name: input.name.trim(),
    relationship: input.relationship.trim(),
    ...(email ? { email } : {}),
    ...(phone ? { phone } : {}),
    ...(input.userId ? { userId: input.userId } : {}),
  };
  return { contactId: contactKey(contact), ...contact };
};

const sameContact = (a: CaseContact, b: CaseContact): boolean =>
  a.contactId === b.contactId &&
  a.name === b.name &&
  a.relationship === b.relationship &&
  a.email === b.email &&
  a.phone === b.phone &&
  a.userId === b.userId;

const linked = (caseRef: string, contact: CaseContact, at: string): CaseContactLinked => ({
  type: 'CaseContactLinked',
  data: { schemaVersion: 1, caseRef, contact, at },
});

export const decideCase = (command: CaseCommand, state: CaseFold, ctx: { now: Date }): CaseEvent[] => {
  const at = ctx.now.toISOString();
  if (!isCaseRef(command.caseRef))
    throw new InvalidCommand('caseRef', `"${command.caseRef}" is not a case number (letters, digits and -/._, up to 64)`);
  const caseRef = command.caseRef;
  if (command.type === 'SyncCase') {
    nonEmpty('childName', command.childName);
    if (!TEAM_ID_PATTERN.test(command.teamId))
      throw new InvalidCommand('teamId', `"${command.teamId}" is not a team id (lower-case letters, digits, - and _)`);
    nonEmpty('caseOfficerId', command.caseOfficerId);
    const contacts = command.contacts?.map((c, i) => contactOf(c, `contacts[${i}]`));
    const ids = new Set<string>();
    contacts?.forEach((c, i) => {
      if (ids.has(c.contactId)) throw new InvalidCommand(`contacts[${i}]`, `the same contact (${c.contactId}) is listed twice`);
      ids.add(c.contactId);
    });
    const events: CaseEvent[] = [];
    const childName = command.childName.trim();
    if (state === null) {
      events.push({
        type: 'CaseOpened',
        data: { schemaVersion: 1, caseRef, childName, teamId: command.teamId, caseOfficerId: command.caseOfficerId, at },
      });
    } else {
      if (state.status === 'closed') events.push({ type: 'CaseReopened', data: { schemaVersion: 1, caseRef, at } });
      const changed = {
        ...(state.childName !== childName ? { childName } : {}),
        ...(state.teamId !== command.teamId ? { teamId: command.teamId } : {}),
        ...(state.caseOfficerId !== command.caseOfficerId ? { caseOfficerId: command.caseOfficerId } : {}),
      };
      if (Object.keys(changed).length > 0) events.push({ type: 'CaseUpdated', data: { schemaVersion: 1, caseRef, ...changed, at } });
    }
    if (contacts) {
      const current = state?.contacts ?? [];
      for (const c of contacts) {
        const was = current.find((x) => x.contactId === c.contactId);
        if (!was || !sameContact(was, c)) events.push(linked(caseRef, c, at));
      }
      for (const was of current) {
        if (!ids.has(was.contactId))
          events.push({ type: 'CaseContactUnlinked', data: { schemaVersion: 1, caseRef, contactId: was.contactId, at } });
      }
    }
    return events;
  }
  if (state === null) throw new CaseNotFound(caseRef);
  switch (command.type) {
    case 'LinkContact': {
      const c = contactOf(command.contact, 'contact');
      const was = state.contacts.find((x) => x.contactId === c.contactId);
      return was && sameContact(was, c) ? [] : [linked(caseRef, c, at)];
    }
    case 'UnlinkContact':
      return state.contacts.some((x) => x.contactId === command.contactId)
        ? [{ type: 'CaseContactUnlinked', data: { schemaVersion: 1, caseRef, contactId: command.contactId, at } }]
        : [];
    case 'CloseCase':
      nonEmpty('reason', command.reason, 500);
      return state.status === 'closed'
        ? []
        : [{ type: 'CaseClosed', data: { schemaVersion: 1, caseRef, reason: command.reason.trim(), at } }];
  }
};

export const caseDecider = { decide: decideCase, evolve: evolveCase, initialState: null as CaseFold } as const;

/** Is this user one of the case's contacts (by portal account, or by the email they signed up with)? */
export const isCaseContact = (state: CaseState, user: { id: string; email: string }): boolean =>
  state.contacts.some((c) => c.userId === user.id || (c.email !== undefined && c.email === user.email.toLowerCase()));
