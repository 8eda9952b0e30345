/**
 * Policies and builders for specs. Times: 24/7 policies make working time elapsed time, so
 * PT10S is ten seconds; `T0` is the submission instant used throughout.
 */
import { validatePolicy, type Policy, type PolicyInput } from '@send/sla';
import type {
  AcknowledgeEscalation,
  AdvanceEscalation,
  AssignRequest,
  CheckDeadline,
  RecordAttempt,
  RecordFailedCallBack,
  RecordResponse,
  ReopenRequest,
  ResolveRequest,
  SubmitRequest,
} from '../contact-request/commands';
import {
  SCHEMA_VERSION,
  type CallBackFailed,
  type Clock,
  type ContactAttemptRecorded,
  type ContactRequestSubmitted,
  type EscalationAcknowledged,
  type EscalationAdvanced,
  type EscalationRaised,
  type EscalationRenotified,
  type EscalationResolved,
  type OfficerResponded,
  type RequestAssigned,
  type RequestReassigned,
  type RequestRouted,
  type RequestReopened,
  type RequestResolved,
  type SlaBreached,
} from '../contact-request/events';
import { contactRequestDecider } from '../index';
import { deciderSpec, type SpecContext } from './decider-spec';

export const REQUEST_ID = '7b0b6d3e-2f0e-4c55-9d53-1a1f3e2c9a01';
export const T0 = '2026-03-02T10:00:00.000Z'; // a Monday, 10:00 in London (GMT)

/** T0 plus `seconds`, as ISO. */
export const at = (seconds: number, from: string = T0): string => new Date(Date.parse(from) + seconds * 1000).toISOString();
export const atDate = (seconds: number, from: string = T0): Date => new Date(Date.parse(from) + seconds * 1000);

/**
 * 24/7, no holidays: first response PT100S, resolution PT1000S (urgent PT50S / PT500S), an update
 * within PT300S of a holding reply, reopening by the family within PT200S, threshold 3, chain
 * team_manager (ack PT10S, respond PT20S) -> service_manager (PT30S, PT40S) -> head_of_service
 * (PT50S, PT60S), remembered for PT500S.
 */
export const fastPolicyInput: PolicyInput = {
  calendar: { timezone: 'Europe/London', workingHours: '24/7', bankHolidays: 'none', closures: [] },
  sla: {
    default: { firstResponse: 'PT100S', resolution: 'PT1000S' },
    categories: { complaint: { firstResponse: 'PT200S', resolution: 'PT2000S' } },
    urgent: { firstResponse: 'PT50S', resolution: 'PT500S' },
    dueAt: 'exact',
    updateWithin: 'PT300S',
    reopenWithin: 'PT200S',
  },
  unanswered: { threshold: 3 },
  intake: { maxBackdate: 'P30D' },
  escalation: {
    memory: 'PT500S',
    chain: [
      { role: 'team_manager', ackWithin: 'PT10S', respondWithin: 'PT20S' },
      { role: 'service_manager', ackWithin: 'PT30S', respondWithin: 'PT40S' },
      { role: 'head_of_service', ackWithin: 'PT50S', respondWithin: 'PT60S' },
    ],
  },
};
export const fastPolicy: Policy = validatePolicy(fastPolicyInput, 'fastPolicy');
export const policyWith = (patch: Partial<PolicyInput>): Policy => validatePolicy({ ...fastPolicyInput, ...patch }, 'test policy');

// ---- commands -------------------------------------------------------------------------------

export const submitRequest = (over: Partial<SubmitRequest> = {}): SubmitRequest => ({
  type: 'SubmitRequest',
  requestId: REQUEST_ID,
  reference: 'SEND-2026-000123',
  caseRef: 'CASE-42',
  requester: { role: 'parent', name: 'Sam Parent', email: 'parent@example.org' },
  channel: 'portal',
  category: 'ehc_assessment',
  subject: 'Assessment decision',
  message: 'We asked for an EHC needs assessment six weeks ago and have heard nothing.',
  ...over,
});

export const recordAttempt = (attemptId: string, over: Partial<RecordAttempt> = {}): RecordAttempt => ({
  type: 'RecordAttempt',
  requestId: REQUEST_ID,
  attemptId,
  channel: 'phone',
  source: 'portal',
  escalationId: `esc-${attemptId}`,
  ...over,
});

export const assignRequest = (officerId = 'officer-1', over: Partial<AssignRequest> = {}): AssignRequest => ({
  type: 'AssignRequest',
  requestId: REQUEST_ID,
  officerId,
  teamId: 'north',
  by: 'manager-1',
  ...over,
});

export const recordResponse = (responseId = 'resp-1', over: Partial<RecordResponse> = {}): RecordResponse => ({
  type: 'RecordResponse',
  requestId: REQUEST_ID,
  responseId,
  officerId: 'officer-1',
  channel: 'phone',
  summary: 'Called back; explained the assessment timetable.',
  ...over,
});

export const recordFailedCallBack = (over: Partial<RecordFailedCallBack> = {}): RecordFailedCallBack => ({
  type: 'RecordFailedCallBack',
  requestId: REQUEST_ID,
  officerId: 'officer-1',
  ...over,
});

export const resolveRequest = (over: Partial<ResolveRequest> = {}): ResolveRequest => ({
  type: 'ResolveRequest',
  requestId: REQUEST_ID,
  by: 'officer-1',
  outcome: 'answered',
  ...over,
});

export const reopenRequest = (over: Partial<ReopenRequest> = {}): ReopenRequest => ({
  type: 'ReopenRequest',
  requestId: REQUEST_ID,
  by: 'parent-1',
  reason: 'Still waiting for the decision letter',
  ...over,
});

export const checkDeadline = (clock: Clock, over: Partial<CheckDeadline> = {}): CheckDeadline => ({
  type: 'CheckDeadline',
  requestId: REQUEST_ID,
  clock,
  ...over,
});

export const acknowledgeEscalation = (escalationId: string, over: Partial<AcknowledgeEscalation> = {}): AcknowledgeEscalation => ({
  type: 'AcknowledgeEscalation',
  requestId: REQUEST_ID,
  escalationId,
  by: 'manager-1',
  ...over,
});

export const advanceEscalation = (escalationId: string, expectedLevel: number): AdvanceEscalation => ({
  type: 'AdvanceEscalation',
  requestId: REQUEST_ID,
  escalationId,
  expectedLevel,
});

// ---- events ---------------------------------------------------------------------------------

const v = SCHEMA_VERSION;

export const submitted = (over: Partial<ContactRequestSubmitted['data']> = {}): ContactRequestSubmitted => ({
  type: 'ContactRequestSubmitted',
  data: {
    schemaVersion: v,
    requestId: REQUEST_ID,
    reference: 'SEND-2026-000123',
    caseRef: 'CASE-42',
    requester: { role: 'parent', name: 'Sam Parent', email: 'parent@example.org' },
    channel: 'portal',
    category: 'ehc_assessment',
    priority: 'normal',
    subject: 'Assessment decision',
    message: 'We asked for an EHC needs assessment six weeks ago and have heard nothing.',
    submittedAt: T0,
    due: { firstResponseAt: at(100), resolutionAt: at(1000) },
    ...over,
  },
});

export const attemptRecorded = (
  attemptId: string,
  atIso: string,
  over: Partial<ContactAttemptRecorded['data']> = {},
): ContactAttemptRecorded => ({
  type: 'ContactAttemptRecorded',
  data: {
    schemaVersion: v,
    attemptId,
    channel: 'phone',
    direction: 'inbound',
    outcome: 'unanswered',
    at: atIso,
    source: 'portal',
    ...over,
  },
});

export const routed = (over: Partial<RequestRouted['data']> = {}): RequestRouted => ({
  type: 'RequestRouted',
  data: {
    schemaVersion: v,
    rule: 'named_case',
    caseRef: 'CASE-42',
    teamId: 'north',
    officerId: 'officer-1',
    needsCover: false,
    by: 'parent-1',
    at: T0,
    ...over,
  },
});

export const assigned = (officerId = 'officer-1', over: Partial<RequestAssigned['data']> = {}): RequestAssigned => ({
  type: 'RequestAssigned',
  data: { schemaVersion: v, officerId, teamId: 'north', by: 'manager-1', ...over },
});

export const reassigned = (officerId: string, over: Partial<RequestReassigned['data']> = {}): RequestReassigned => ({
  type: 'RequestReassigned',
  data: { schemaVersion: v, officerId, teamId: 'north', by: 'manager-1', ...over },
});

export const responded = (atIso: string, over: Partial<OfficerResponded['data']> = {}): OfficerResponded => ({
  type: 'OfficerResponded',
  data: {
    schemaVersion: v,
    responseId: 'resp-1',
    officerId: 'officer-1',
    channel: 'phone',
    summary: 'Called back; explained the assessment timetable.',
    at: atIso,
    kind: 'full',
    ...over,
  },
});

export const callBackFailed = (atIso: string, officerId = 'officer-1'): CallBackFailed => ({
  type: 'CallBackFailed',
  data: { schemaVersion: v, officerId, at: atIso },
});

export const resolved = (atIso: string, over: Partial<RequestResolved['data']> = {}): RequestResolved => ({
  type: 'RequestResolved',
  data: { schemaVersion: v, by: 'officer-1', outcome: 'answered', at: atIso, ...over },
});

export const reopened = (atIso: string, over: Partial<RequestReopened['data']> = {}): RequestReopened => ({
  type: 'RequestReopened',
  data: {
    schemaVersion: v,
    by: 'parent-1',
    reason: 'Still waiting for the decision letter',
    at: atIso,
    due: { firstResponseAt: at(100, atIso), resolutionAt: at(1000, atIso) },
    ...over,
  },
});

export const slaBreached = (clock: Clock, dueAt: string, breachedAt: string): SlaBreached => ({
  type: 'SlaBreached',
  data: { schemaVersion: v, clock, dueAt, breachedAt },
});

export const escalationRaised = (over: Partial<EscalationRaised['data']> & { raisedAt: string }): EscalationRaised => ({
  type: 'EscalationRaised',
  data: {
    schemaVersion: v,
    escalationId: 'esc-1',
    level: 1,
    notifyRole: 'team_manager',
    reason: 'repeated_unanswered',
    unansweredCount: 3,
    ackDueAt: at(10, over.raisedAt),
    ...over,
  },
});

export const escalationAcknowledged = (over: Partial<EscalationAcknowledged['data']> & { at: string }): EscalationAcknowledged => ({
  type: 'EscalationAcknowledged',
  data: { schemaVersion: v, escalationId: 'esc-1', level: 1, by: 'manager-1', respondDueAt: at(20, over.at), ...over },
});

export const escalationAdvanced = (
  over: Partial<EscalationAdvanced['data']> & Pick<EscalationAdvanced['data'], 'at' | 'ackDueAt'>,
): EscalationAdvanced => ({
  type: 'EscalationAdvanced',
  data: {
    schemaVersion: v,
    escalationId: 'esc-1',
    fromLevel: 1,
    toLevel: 2,
    notifyRole: 'service_manager',
    reason: 'ack_timeout',
    ...over,
  },
});

export const escalationRenotified = (
  over: Partial<EscalationRenotified['data']> & Pick<EscalationRenotified['data'], 'at' | 'renotification'>,
): EscalationRenotified => ({
  type: 'EscalationRenotified',
  data: { schemaVersion: v, escalationId: 'esc-1', level: 3, notifyRole: 'head_of_service', reason: 'ack_timeout', ...over },
});

export const escalationResolved = (atIso: string, over: Partial<EscalationResolved['data']> = {}): EscalationResolved => ({
  type: 'EscalationResolved',
  data: { schemaVersion: v, escalationId: 'esc-1', by: 'officer-1', at: atIso, ...over },
});

// ---- a ready-made spec for the ContactRequest decider ------------------------------------------

/**
 * `const s = contactRequestSpec(); beforeEach(s.reset);` then
 * `s.now(30).given(...).when(...).then(...)`: now defaults to T0 with fastPolicy.
 */
export const contactRequestSpec = () => {
  const ctx: SpecContext = { now: atDate(0), policy: fastPolicy };
  const spec = deciderSpec(contactRequestDecider, () => ctx);
  const api = {
    ctx,
    reset: (): void => {
      ctx.now = atDate(0);
      ctx.policy = fastPolicy;
    },
    /** Decide at T0 + seconds (or at an ISO instant). */
    now: (when: number | string) => {
      ctx.now = typeof when === 'number' ? atDate(when) : new Date(when);
      return api;
    },
    policy: (policy: Policy) => {
      ctx.policy = policy;
      return api;
    },
    given: spec.given,
  };
  return api;
};
