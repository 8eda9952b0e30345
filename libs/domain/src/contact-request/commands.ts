/**
 * Commands the ContactRequest decider accepts. Every command names the request it targets
 * (`requestId`): the app loads `streamIdFor(requestId)` and hands the state to `decide`.
 *
 * Ids the decider cannot make itself (attemptId, responseId, escalationId) come in the command;
 * the app makes them, deterministically where a retry must produce the same events.
 * Instants in commands are ISO-8601 strings; `ctx.now` is the decision time.
 */
import type {
  AttemptOutcome,
  AttemptSource,
  Category,
  Channel,
  Clock,
  EscalationRole,
  Priority,
  Requester,
  ResponseChannel,
  ResponseKind,
  WithoutReply,
} from './events';
import type { Routing } from './routing';

export interface SubmitRequest {
  type: 'SubmitRequest';
  requestId: string;
  reference: string;
  /** The child's case number; '' when the requester did not give one (optional in the API). */
  caseRef: string;
  requester: Requester;
  channel: Channel;
  category: Category;
  /** Defaults to 'normal'. */
  priority?: Priority;
  subject: string;
  message: string;
  teamId?: string;
  /** Where the request goes (routeRequest); without it the request is filed as given, with no RequestRouted. */
  routing?: Routing;
  /** Who submitted it (the requester, or staff on their behalf): recorded on the routing event. */
  by?: string;
  /** Staff: when the letter, call or email actually arrived (not in the future, at most intake.maxBackdate old). */
  receivedAt?: string;
  /** The requester asked for urgency (kept apart from `priority`, which staff set). */
  requesterFlaggedUrgent?: boolean;
}

/** Staff set the priority that drives the clocks. */
export interface SetPriority {
  type: 'SetPriority';
  requestId: string;
  priority: Priority;
  by: string;
}

/** Staff send a request to a case or team (from triage, or away from where it was). */
export interface RouteRequest {
  type: 'RouteRequest';
  requestId: string;
  routing: Routing;
  by: string;
}

export interface RecordAttempt {
  type: 'RecordAttempt';
  requestId: string;
  attemptId: string;
  channel: Channel;
  /** Defaults to 'unanswered'. */
  outcome?: AttemptOutcome;
  /** When the attempt happened (e.g. the call's start); defaults to ctx.now, never later than ctx.now. */
  at?: string;
  source: AttemptSource;
  /**
   * Id for the escalation this attempt may raise. Give one (deterministic, e.g. derived from the
   * attemptId); when absent the decider derives `esc-<attemptId>`.
   */
  escalationId?: string;
  /** Who recorded it: named on the reopening when the attempt reopens a recently resolved request. */
  by?: string;
}

export interface AssignRequest {
  type: 'AssignRequest';
  requestId: string;
  officerId: string;
  teamId: string;
  by: string;
}

export interface RecordResponse {
  type: 'RecordResponse';
  requestId: string;
  responseId: string;
  officerId: string;
  channel: ResponseChannel;
  summary: string;
  /** Defaults to 'full'. */
  kind?: ResponseKind;
  /** When the reply was made, if earlier than now (bounded like receivedAt, never before the request was received). */
  at?: string;
}

export interface RecordFailedCallBack {
  type: 'RecordFailedCallBack';
  requestId: string;
  officerId: string;
  /** Defaults to ctx.now, never later than ctx.now. */
  at?: string;
}

export interface ResolveRequest {
  type: 'ResolveRequest';
  requestId: string;
  by: string;
  outcome: string;
  /** Required when the request never had a reply: why it is resolved without one. */
  withoutReply?: WithoutReply;
}

export interface ReopenRequest {
  type: 'ReopenRequest';
  requestId: string;
  by: string;
  reason: string;
  /** The requester reopens (only within sla.reopenWithin of resolution); staff may reopen any time. */
  byRequester?: boolean;
}

/** From a deadline timer (`nextTimers`). */
export interface CheckDeadline {
  type: 'CheckDeadline';
  requestId: string;
  clock: Clock;
  /** Id for the escalation a first-response or update breach may raise; derived when absent. */
  escalationId?: string;
}

export interface AcknowledgeEscalation {
  type: 'AcknowledgeEscalation';
  requestId: string;
  escalationId: string;
  by: string;
  /**
   * The acknowledging user's role, when the app wants the domain to check routing: a manager at or
   * above the escalation's current notifyRole may acknowledge; anyone else gets NotRoutedToYou.
   * Team scoping (is this manager's team the request's team) is the app's job.
   */
  role?: EscalationRole | string;
}

/** From an escalation timer (`nextTimers`). */
export interface AdvanceEscalation {
  type: 'AdvanceEscalation';
  requestId: string;
  escalationId: string;
  /** The level the timer was set for; any other current level makes the timer stale. */
  expectedLevel: number;
}

export type ContactRequestCommand =
  | SubmitRequest
  | RouteRequest
  | RecordAttempt
  | AssignRequest
  | RecordResponse
  | RecordFailedCallBack
  | ResolveRequest
  | ReopenRequest
  | SetPriority
  | CheckDeadline
  | AcknowledgeEscalation
  | AdvanceEscalation;

export type ContactRequestCommandType = ContactRequestCommand['type'];
