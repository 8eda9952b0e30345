import { Inject, Injectable, Optional } from '@nestjs/common';
import type Redis from 'ioredis';
import {
  CASE_SUBJECT_PREFIX,
  caseStreamId,
  CONTACT_SUBJECT_PREFIX,
  dataSubjectOf,
  isCaseRef,
  isE164,
  streamIdFor,
  userStreamId,
  type CaseState,
  type DataSubjectId,
} from '@send/domain';
import type { DataKeyStore, EventStore } from '@send/event-store';
import { DATA_KEYS, EVENT_STORE, REDIS } from '@send/platform';
import {
  CasesRepository,
  keys,
  RequestViewsRepository,
  TelephonyRepository,
  UsersRepository,
  type Page,
  type PageCursor,
  type RequestRecord,
  type UserRecord,
} from '@send/read-models';
import { callIdOf, callStreamId } from '@send/domain';
import { badRequest } from '../common/problem';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
/** A requester's own list is read a page at a time; a family has tens of requests, not thousands. */
const PAGE = 500;

/** What a data subject id names (shared API.md, "Personal data"). */
export type SubjectKind = { kind: 'user'; userId: string } | { kind: 'phone'; e164: string } | { kind: 'email'; email: string } | { kind: 'case'; caseRef: string };

/** Parses a data subject id, or answers 400: a user id, `contact:<E.164 or email>`, or `case:<caseRef>` (the child's own data). */
export function parseSubject(id: string): SubjectKind {
  if (UUID.test(id)) return { kind: 'user', userId: id.toLowerCase() };
  if (id.startsWith(CONTACT_SUBJECT_PREFIX)) {
    const rest = id.slice(CONTACT_SUBJECT_PREFIX.length);
    if (isE164(rest)) return { kind: 'phone', e164: rest };
    if (EMAIL.test(rest) && rest === rest.toLowerCase()) return { kind: 'email', email: rest };
  }
  if (id.startsWith(CASE_SUBJECT_PREFIX) && isCaseRef(id.slice(CASE_SUBJECT_PREFIX.length)))
    return { kind: 'case', caseRef: id.slice(CASE_SUBJECT_PREFIX.length) };
  throw badRequest('A data subject is a user id, contact:<E.164 phone or lower-case email>, or case:<caseRef>.', [
    { field: 'id', message: 'is not a data subject id' },
  ]);
}

/** Where one person's data is: the streams holding it, and their account as the read side knows it. */
export interface SubjectStreams {
  subject: DataSubjectId;
  /** Every stream holding their data, sorted (request, case, user and call streams). */
  streams: string[];
  /** The streams the key store names (the rest were found through the read models). */
  keyed: string[];
  account: UserRecord | null;
}

/**
 * Finds the streams holding a data subject's personal data: the key store's index
 * (`DataKeyStore.scopesOf`: every stream the store layer encrypted their data in) and, so data
 * written before the index (or without it) is found too, the read models: their account, their own
 * request list, the cases they are a contact on (open or closed) and those cases' requests they
 * made, and their number's unmatched calls.
 */
@Injectable()
export class SubjectStreamsFinder {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(REDIS) private readonly redis: Redis,
    private readonly users: UsersRepository,
    private readonly views: RequestViewsRepository,
    private readonly cases: CasesRepository,
    private readonly telephony: TelephonyRepository,
    @Optional() @Inject(DATA_KEYS) readonly dataKeys: DataKeyStore | null,
  ) {}

  async find(subject: DataSubjectId): Promise<SubjectStreams> {
    const kind = parseSubject(subject);
    const keyed = this.dataKeys ? await this.dataKeys.scopesOf(subject) : [];
    const streams = new Set(keyed);
    let account: UserRecord | null = null;
    const caseRefs = new Set<string>();
    const numbers = new Set<string>();

    if (kind.kind === 'user') {
      account = await this.users.get(kind.userId);
      if (account || (await this.store.read(userStreamId(kind.userId))).length > 0) streams.add(userStreamId(kind.userId));
      for (const ref of await this.redis.sunion(keys.casesByUser(kind.userId), ...(account ? [keys.casesByEmail(account.email.toLowerCase())] : [])))
        caseRefs.add(ref);
      let after: PageCursor | null = null;
      do {
        const page: Page<RequestRecord> = await this.views.pageForRequester(kind.userId, { limit: PAGE, after });
        for (const r of page.items) streams.add(streamIdFor(r.state.requestId));
        after = page.next;
      } while (after);
    } else if (kind.kind === 'phone') {
      for (const ref of await this.redis.smembers(keys.casesByPhone(kind.e164))) caseRefs.add(ref);
      numbers.add(kind.e164);
    } else if (kind.kind === 'email') {
      for (const ref of await this.redis.smembers(keys.casesByEmail(kind.email))) caseRefs.add(ref);
    } else {
      caseRefs.add(kind.caseRef);
    }

    for (const ref of caseRefs) {
      const state = await this.cases.get(ref);
      if (!state || !holds(state, subject)) continue;
      streams.add(caseStreamId(ref));
      if (kind.kind === 'user') for (const c of state.contacts) if (c.userId === kind.userId && c.phone) numbers.add(c.phone);
      if (kind.kind === 'phone' || kind.kind === 'email')
        for (const r of await this.views.allOnCase(ref)) if (dataSubjectOf(r.state.requester) === subject) streams.add(streamIdFor(r.state.requestId));
    }
    for (const number of numbers) {
      for (const call of (await this.telephony.unmatched(number))?.calls ?? []) streams.add(callStreamId(call.callId));
      // Their calls that were filed on a request: the store layer keyed each call by its number.
      if (kind.kind === 'user' && this.dataKeys)
        for (const scope of await this.dataKeys.scopesOf(CONTACT_SUBJECT_PREFIX + number)) if (callIdOf(scope)) streams.add(scope);
    }

    return { subject, streams: [...streams].sort(), keyed, account };
  }
}

/** Does the case hold this subject's data: one of its contacts, or (the case's own subject) the child's name? */
const holds = (state: CaseState, subject: DataSubjectId): boolean =>
  subject === CASE_SUBJECT_PREFIX + state.caseRef || state.contacts.some((c) => dataSubjectOf(c) === subject);
