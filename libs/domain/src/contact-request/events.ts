/**
 * ContactRequest domain events, v1 (shared DESIGN.md, "Domain model").
 *
 * Events are plain JSON-able objects: `{ type, data }`. Every `data` carries `schemaVersion: 1`;
 * instants are ISO-8601 strings (they are stored as JSON). Ids and metadata (correlation, causation,
 * actor, idempotency key) are added by the app layer, not here.
 */
import type { Category, EscalationRole, Priority } from '@send/sla';
import type { PersonalDataErased } from '../personal-data/personal-data';
import type { Routing } from './routing';

export type { Category, EscalationRole, Priority, PersonalDataErased };

export const SCHEMA_VERSION = 1 as const;

export type RequesterRole = 'parent' | 'school' | 'professional' | 'mp' | 'other';
export const REQUESTER_ROLES: readonly RequesterRole[] = ['parent', 'school', 'professional', 'mp', 'other'];

export interface Requester {
  role: RequesterRole;
  name: string;
  /** '' when the requester has no email (e.g. a phone-only contact entered by staff). */
  email: string;
  phone?: string;
  /** The portal user who owns the request, when the requester has an account. */
  userId?: string;
}

/** How a contact reached the service (or was made by it). */
export type Channel = 'portal' | 'phone' | 'email' | 'letter' | 'in_person' | 'mp';
export const CHANNELS: readonly Channel[] = ['portal', 'phone', 'email', 'letter', 'in_person', 'mp'];

/** How an officer responded: any contact channel, or a meeting. */
export type ResponseChannel = Channel | 'meeting';

export type AttemptOutcome = 'unanswered' | 'voicemail' | 'no_reply' | 'message_left';
export const ATTEMPT_OUTCOMES: readonly AttemptOutcome[] = ['unanswered', 'voicemail', 'no_reply', 'message_left'];

/** Who recorded the attempt: the requester on the portal, an officer logging a call, the telephony system. */
export type AttemptSource = 'portal' | 'officer' | 'telephony';

/** `update`: after a holding reply, the family hears again within the policy's sla.updateWithin. */
export type Clock = 'first_response' | 'resolution' | 'update';
export const CLOCKS: readonly Clock[] = ['first_response', 'resolution', 'update'];

/** `update_missed`: a holding reply's promised update did not come. */
export type EscalationReason = 'repeated_unanswered' | 'sla_breached' | 'update_missed';
export type AdvanceReason = 'ack_timeout' | 'still_unanswered' | 'update_missed';

/** A holding reply ("we're looking into it") stops the first-response clock; only a full reply answers. */
export type ResponseKind = 'full' | 'holding';
export const RESPONSE_KINDS: readonly ResponseKind[] = ['full', 'holding'];

/** Why a request was resolved with no reply recorded (a closed list: the dashboard counts each apart). */
export type ResolvedWithoutReplyReason = 'withdrawn' | 'duplicate' | 'answered_outside';
export const RESOLVED_WITHOUT_REPLY_REASONS: readonly ResolvedWithoutReplyReason[] = ['withdrawn', 'duplicate', 'answered_outside'];
export interface WithoutReply {
  reason: ResolvedWithoutReplyReason;
  /** answered_outside: when the family was answered (by letter, at a meeting...). */
  answeredAt?: IsoInstant;
}

/** ISO-8601 instant, e.g. `2026-12-24T16:30:00.000Z`. */
export type IsoInstant = string;

export interface DueDates {
  firstResponseAt: IsoInstant;
  resolutionAt: IsoInstant;
}

type V1<D> = D & { schemaVersion: typeof SCHEMA_VERSION };
type Ev<T extends string, D> = { type: T; data: V1<D> };

export type ContactRequestSubmitted = Ev<
  'ContactRequestSubmitted',
  {
    requestId: string;
    /** Human reference, e.g. SEND-2026-000123. */
    reference: string;
    /** The child's case number. */
    caseRef: string;
    requester: Requester;
    channel: Channel;
    category: Category;
    priority: Priority;
    subject: string;
    message: string;
    submittedAt: IsoInstant;
    /** Computed from the policy at submission and frozen here: a later policy change never rewrites it. */
    due: DueDates;
    teamId?: string;
    /** When a letter, call or email actually arrived (staff-entered, earlier than submittedAt): its clocks run from then. */
    receivedAt?: IsoInstant;
    /** The requester asked for urgency; staff decide the priority that drives the clocks. */
    requesterFlaggedUrgent?: boolean;
  }
>;

/**
 * Where the request went and why (shared DESIGN.md "Cases, routing and scope"): at submission, and
 * each time staff re-route it. It files the request on `routing.caseRef` and team `routing.teamId`
 * (both null: triage) and clears any assignee; an assignment to `routing.officerId`, when there is
 * one, follows in the same append.
 */
export type RequestRouted = Ev<'RequestRouted', Routing & { by: string; at: IsoInstant }>;

export type ContactAttemptRecorded = Ev<
  'ContactAttemptRecorded',
  {
    attemptId: string;
    channel: Channel;
    direction: 'inbound';
    outcome: AttemptOutcome;
    at: IsoInstant;
    source: AttemptSource;
  }
>;

/** `at` since 2026-11-28 (events before it are dated by when they were recorded). */
export type RequestAssigned = Ev<'RequestAssigned', { officerId: string; teamId: string; by: string; at?: IsoInstant }>;
export type RequestReassigned = Ev<
  'RequestReassigned',
  { officerId: string; teamId: string; by: string; at?: IsoInstant; fromOfficerId?: string; fromTeamId?: string }
>;

export type OfficerResponded = Ev<
  'OfficerResponded',
  {
    responseId: string;
    officerId: string;
    channel: ResponseChannel;
    summary: string;
    /** When the reply was made (it may be recorded later: then `enteredAt` says when). */
    at: IsoInstant;
    /** Absent on replies recorded before holding replies existed: those were full replies. */
    kind?: ResponseKind;
    /** A holding reply: when the family must hear again (the update clock). */
    updateDueAt?: IsoInstant;
    /** Recorded after the fact: when it was entered. */
    enteredAt?: IsoInstant;
  }
>;

export type CallBackFailed = Ev<'CallBackFailed', { officerId: string; at: IsoInstant }>;

export type RequestResolved = Ev<'RequestResolved', { by: string; outcome: string; at: IsoInstant; withoutReply?: WithoutReply }>;

export type RequestReopened = Ev<
  'RequestReopened',
  {
    by: string;
    reason: string;
    at: IsoInstant;
    /** Restarted from `at` with the policy in force at the reopen. */
    due: DueDates;
    /** The family reopened it (themselves, or by getting in touch again), not staff. */
    byRequester?: boolean;
  }
>;

/** Staff set the priority that drives the clocks; the due dates are computed again from the received time. */
export type PriorityChanged = Ev<'PriorityChanged', { priority: Priority; by: string; at: IsoInstant; due: DueDates }>;

export type SlaBreached = Ev<'SlaBreached', { clock: Clock; dueAt: IsoInstant; breachedAt: IsoInstant }>;

export type EscalationRaised = Ev<
  'EscalationRaised',
  {
    escalationId: string;
    level: number;
    notifyRole: EscalationRole;
    userIds?: string[];
    reason: EscalationReason;
    unansweredCount: number;
    raisedAt: IsoInstant;
    ackDueAt: IsoInstant;
    /** Raised at the level an earlier escalation reached (escalation.memory): that escalation's id. */
    resumesFrom?: string;
  }
>;

export type EscalationAcknowledged = Ev<
  'EscalationAcknowledged',
  { escalationId: string; level: number; by: string; at: IsoInstant; respondDueAt: IsoInstant }
>;

export type EscalationAdvanced = Ev<
  'EscalationAdvanced',
  {
    escalationId: string;
    fromLevel: number;
    toLevel: number;
    notifyRole: EscalationRole;
    reason: AdvanceReason;
    at: IsoInstant;
    ackDueAt: IsoInstant;
  }
>;

/**
 * Added to the DESIGN.md table because a rule needs it: at the last level of the chain there is no
 * one left to advance to, so the escalation stays open and the same role is notified again, a
 * bounded number of times (MAX_RENOTIFICATIONS). The event carries the new deadline so the timer
 * (and a replay) knows when the next re-notification is due: `ackDueAt` after an ack timeout,
 * `respondDueAt` after a missed response window. `renotification` counts from 1.
 */
export type EscalationRenotified = Ev<
  'EscalationRenotified',
  {
    escalationId: string;
    level: number;
    notifyRole: EscalationRole;
    reason: AdvanceReason;
    renotification: number;
    at: IsoInstant;
    ackDueAt?: IsoInstant;
    respondDueAt?: IsoInstant;
  }
>;

export type EscalationResolved = Ev<'EscalationResolved', { escalationId: string; by: string; at: IsoInstant }>;

export type ContactRequestEvent =
  | ContactRequestSubmitted
  | RequestRouted
  | ContactAttemptRecorded
  | RequestAssigned
  | RequestReassigned
  | OfficerResponded
  | CallBackFailed
  | RequestResolved
  | RequestReopened
  | PriorityChanged
  | SlaBreached
  | EscalationRaised
  | EscalationAcknowledged
  | EscalationAdvanced
  | EscalationRenotified
  | EscalationResolved
  /** The requester's personal data was erased (issue 14): the request keeps its ids, times and clocks. */
  | PersonalDataErased;

export type ContactRequestEventType = ContactRequestEvent['type'];

export const CONTACT_REQUEST_EVENT_TYPES: readonly ContactRequestEventType[] = [
  'ContactRequestSubmitted',
  'RequestRouted',
  'ContactAttemptRecorded',
  'RequestAssigned',
  'RequestReassigned',
  'OfficerResponded',
  'CallBackFailed',
  'RequestResolved',
  'RequestReopened',
  'PriorityChanged',
  'SlaBreached',
  'EscalationRaised',
  'EscalationAcknowledged',
  'EscalationAdvanced',
  'EscalationRenotified',
  'EscalationResolved',
  'PersonalDataErased',
];

/** Stream of one contact request (DESIGN.md: `contact-request-<uuid>`): the one place this name is spelled. */
export const REQUEST_STREAM_PREFIX = 'contact-request-';
export const streamIdFor = (requestId: string): string => REQUEST_STREAM_PREFIX + requestId;
/** The request id of a request stream; null for any other stream. */
export const requestIdOf = (streamId: string): string | null =>
  streamId.startsWith(REQUEST_STREAM_PREFIX) ? streamId.slice(REQUEST_STREAM_PREFIX.length) : null;
