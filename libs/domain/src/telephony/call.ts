/**
 * A telephone call as the council's telephony system reported it (shared API.md, "Telephony"). One
 * stream per call, `telephony-call-<callId>`, so the same callId twice finds the first one in its own
 * stream, across restarts, with no other index. The stream keeps the raw record (CallReceived) and
 * what became of it: filed on a request (CallFiled), kept for triage (CallUnmatched), linked to a
 * case by staff (CallLinked). A re-link replays from here. Pure: the app looks up cases and requests.
 */
import { v5 as uuidv5 } from 'uuid';
import { DomainError, InvalidCommand } from '../contact-request/errors';
import { erasedValue, isErased } from '../personal-data/erasure';
import type { PersonalDataErased } from '../personal-data/personal-data';

export const CALL_STREAM_PREFIX = 'telephony-call-';
export const callStreamId = (callId: string): string => CALL_STREAM_PREFIX + callId;
export const callIdOf = (streamId: string): string | null =>
  streamId.startsWith(CALL_STREAM_PREFIX) ? streamId.slice(CALL_STREAM_PREFIX.length) : null;

/** Fixed forever: the attempt a call becomes keeps its id however often the call is sent or filed. */
const CALL_ATTEMPT_NAMESPACE = '6d2b8f3a-1c47-4e0b-a9d5-0f3e7b2c9a64';
/** The id of the unanswered attempt a call becomes, derived from its callId alone (uuid v5). */
export const callAttemptId = (callId: string): string => uuidv5(`call-attempt:${callId}`, CALL_ATTEMPT_NAMESPACE);

export const CALL_OUTCOMES = ['answered', 'missed', 'voicemail'] as const;
export type CallOutcome = (typeof CALL_OUTCOMES)[number];

/** Call ids as telephony platforms issue them: letters, digits and `-_.:`, up to 128 characters. */
export const CALL_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9\-_.:]{0,127}$/;

/** The call exactly as the telephony system sent it. */
export interface CallRecord {
  callId: string;
  from: string;
  to: string;
  startedAt: string;
  outcome: CallOutcome;
  durationSeconds: number;
}

/** How the call was filed: on an open request, or on a request opened for it. */
export type FiledAs = 'attempt' | 'request';

type V1<D> = D & { schemaVersion: 1 };
type Ev<T extends string, D> = { type: T; data: V1<D> };

/** `number`: the caller in E.164 (toE164), or the raw `from` (trimmed) when it is not a phone number. */
export type CallReceived = Ev<'CallReceived', { call: CallRecord; number: string; numberIsE164: boolean; at: string }>;
/** No open case has a contact on this number: the call waits in the unmatched list. */
export type CallUnmatched = Ev<'CallUnmatched', { callId: string; number: string; at: string }>;
/** Staff said whose number it is: the call is to be filed on this case. */
export type CallLinked = Ev<'CallLinked', { callId: string; number: string; caseRef: string; by: string; at: string }>;
/** The call is an unanswered attempt on this request (opened for it when `filedAs` is 'request'). */
export type CallFiled = Ev<
  'CallFiled',
  { callId: string; caseRef: string; requestId: string; attemptId: string; filedAs: FiledAs; by: string; at: string }
>;

export type CallEvent = CallReceived | CallUnmatched | CallLinked | CallFiled | PersonalDataErased;
export const CALL_EVENT_TYPES: readonly CallEvent['type'][] = ['CallReceived', 'CallUnmatched', 'CallLinked', 'CallFiled', 'PersonalDataErased'];

/**
 * received: to be filed (matching not done yet, or a crash came before it finished); answered:
 * somebody picked up, nothing to file; unmatched: waiting for staff; linked: to be filed on the
 * case staff named; filed: done.
 */
export type CallStatus = 'received' | 'answered' | 'unmatched' | 'linked' | 'filed';

export interface CallState {
  callId: string;
  call: CallRecord;
  number: string;
  numberIsE164: boolean;
  status: CallStatus;
  receivedAt: string;
  linkedTo: { caseRef: string; by: string; at: string } | null;
  filing: { caseRef: string; requestId: string; attemptId: string; filedAs: FiledAs; by: string; at: string } | null;
}
export type CallFold = CallState | null;

/** Still to be filed: a retry of the call (or of the link) finishes it. */
export const awaitsFiling = (state: CallState): boolean => state.status === 'received' || state.status === 'linked';

export interface ReceiveCall {
  type: 'ReceiveCall';
  call: CallRecord;
  /** E.164 when the app could parse `from` (toE164), else null. */
  e164: string | null;
}
export interface MarkCallUnmatched {
  type: 'MarkCallUnmatched';
  callId: string;
}
export interface LinkCall {
  type: 'LinkCall';
  callId: string;
  caseRef: string;
  by: string;
}
export interface FileCall {
  type: 'FileCall';
  callId: string;
  caseRef: string;
  requestId: string;
  attemptId: string;
  filedAs: FiledAs;
  by: string;
}
export type CallCommand = ReceiveCall | MarkCallUnmatched | LinkCall | FileCall;

export class CallNotFound extends DomainError {
  readonly code = 'call_not_found';
  readonly httpStatus = 404;
  constructor(readonly callId: string) {
    super(`Call ${callId} was never received`);
  }
}

/** Only unanswered calls (missed, voicemail) are attempts; an unmatched one is filed by linking it. */
export class CallNotFileable extends DomainError {
  readonly code = 'call_not_fileable';
  readonly httpStatus = 422;
  constructor(
    readonly callId: string,
    readonly status: CallStatus,
  ) {
    super(`Call ${callId} is ${status}: it cannot be filed${status === 'unmatched' ? ' until it is linked to a case' : ''}`);
  }
}

export const evolveCall = (state: CallFold, event: { type: string; data: unknown }): CallFold => {
  const e = event as CallEvent;
  if (e.type === 'CallReceived') {
    if (state !== null) return state;
    const d = e.data;
    return {
      callId: d.call.callId,
      call: d.call,
      number: d.number,
      numberIsE164: d.numberIsE164,
      status: d.call.outcome === 'answered' ? 'answered' : 'received',
      receivedAt: d.at,
      linkedTo: null,
      filing: null,
    };
  }
  if (state === null) return state;
  switch (e.type) {
    case 'CallUnmatched':
      return { ...state, status: 'unmatched' };
    case 'CallLinked':
      return { ...state, status: 'linked', linkedTo: { caseRef: e.data.caseRef, by: e.data.by, at: e.data.at } };
    case 'CallFiled': {
      const { caseRef, requestId, attemptId, filedAs, by, at } = e.data;
      return { ...state, status: 'filed', filing: { caseRef, requestId, attemptId, filedAs, by, at } };
    }
    case 'PersonalDataErased':
      return eraseCaller(state);
    default:
      return state;
  }
};

/**
 * The call with the caller's number erased (the record's `from` and the number made from it): the
 * council's number called, times, outcome, status and where it was filed stay. The same state (===)
 * when already erased.
 */
export const eraseCaller = (state: CallState): CallState =>
  isErased(state.number) && isErased(state.call.from)
    ? state
    : { ...state, number: erasedValue(state.number), call: { ...state.call, from: erasedValue(state.call.from) } };

export const foldCall = (events: ReadonlyArray<{ type: string; data: unknown }>): CallFold => events.reduce<CallFold>(evolveCall, null);

const isInstant = (value: string): boolean => /^\d{4}-\d{2}-\d{2}T/.test(value) && !Number.isNaN(Date.parse(value));

const checkRecord = (call: CallRecord): void => {
  if (typeof call.callId !== 'string' || !CALL_ID_PATTERN.test(call.callId))
    throw new InvalidCommand('callId', 'must be letters, digits and -_.: (up to 128 characters)');
  if (typeof call.from !== 'string' || call.from.trim() === '') throw new InvalidCommand('from', 'must be a non-empty string');
  if (typeof call.to !== 'string') throw new InvalidCommand('to', 'must be a string');
  if (typeof call.startedAt !== 'string' || !isInstant(call.startedAt))
    throw new InvalidCommand('startedAt', 'must be an ISO 8601 instant');
  if (!CALL_OUTCOMES.includes(call.outcome)) throw new InvalidCommand('outcome', `must be one of ${CALL_OUTCOMES.join(', ')}`);
  if (!Number.isInteger(call.durationSeconds) || call.durationSeconds < 0)
    throw new InvalidCommand('durationSeconds', 'must be a whole number of seconds, 0 or more');
};

/**
 * Rules. Repeats are no-ops rather than errors (a telephony system retries; a double click links
 * twice): the same call received again, marked unmatched again, linked to the same case again, or
 * filed again decides nothing.
 */
export const decideCall = (command: CallCommand, state: CallFold, ctx: { now: Date }): CallEvent[] => {
  const at = ctx.now.toISOString();
  if (command.type === 'ReceiveCall') {
    if (state !== null) return [];
    checkRecord(command.call);
    const number = command.e164 ?? command.call.from.trim();
    return [{ type: 'CallReceived', data: { schemaVersion: 1, call: command.call, number, numberIsE164: command.e164 !== null, at } }];
  }
  if (state === null) throw new CallNotFound(command.callId);
  switch (command.type) {
    case 'MarkCallUnmatched':
      // Only a call still waiting to be filed can be unmatched; one already settled stays as it is.
      return state.status === 'received'
        ? [{ type: 'CallUnmatched', data: { schemaVersion: 1, callId: state.callId, number: state.number, at } }]
        : [];
    case 'LinkCall': {
      if (state.status === 'answered' || state.status === 'filed') return [];
      if (state.status === 'linked' && state.linkedTo?.caseRef === command.caseRef) return [];
      if (command.caseRef.trim() === '') throw new InvalidCommand('caseRef', 'must be a non-empty string');
      return [
        {
          type: 'CallLinked',
          data: { schemaVersion: 1, callId: state.callId, number: state.number, caseRef: command.caseRef, by: command.by, at },
        },
      ];
    }
    case 'FileCall': {
      if (state.status === 'filed') return [];
      if (!awaitsFiling(state)) throw new CallNotFileable(state.callId, state.status);
      if (state.status === 'linked' && state.linkedTo?.caseRef !== command.caseRef)
        throw new InvalidCommand('caseRef', `the call was linked to case ${state.linkedTo?.caseRef}, not ${command.caseRef}`);
      const { caseRef, requestId, attemptId, filedAs, by } = command;
      return [{ type: 'CallFiled', data: { schemaVersion: 1, callId: state.callId, caseRef, requestId, attemptId, filedAs, by, at } }];
    }
  }
};

export const callDecider = { decide: decideCall, evolve: evolveCall, initialState: null as CallFold } as const;

/** The request attempt a call becomes: the phone channel, and the outcome the call had. */
export const attemptOutcomeOf = (outcome: CallOutcome): 'unanswered' | 'voicemail' | null =>
  outcome === 'missed' ? 'unanswered' : outcome === 'voicemail' ? 'voicemail' : null;

/** What the target choice needs of an open request on a case. */
export interface OpenRequestOnCase {
  requestId: string;
  caseRef: string;
  /** Latest activity (its last event or attempt), ms since the epoch. */
  activeAt: number;
}

/**
 * Where a call from a case contact goes when the number is on several open cases (ADR 0007): the most
 * recently active open request across them (ties by caseRef, then requestId, so the choice is the
 * same on every retry), else a new request on the first case by caseRef. `caseRefs` must not be empty.
 */
export const chooseFiling = (
  caseRefs: readonly string[],
  openRequests: readonly OpenRequestOnCase[],
): { kind: 'attempt'; caseRef: string; requestId: string } | { kind: 'request'; caseRef: string } => {
  const best = [...openRequests].sort(
    (a, b) => b.activeAt - a.activeAt || a.caseRef.localeCompare(b.caseRef) || a.requestId.localeCompare(b.requestId),
  )[0];
  if (best) return { kind: 'attempt', caseRef: best.caseRef, requestId: best.requestId };
  return { kind: 'request', caseRef: [...caseRefs].sort((a, b) => a.localeCompare(b))[0]! };
};
