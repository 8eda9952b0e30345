/**
 * The ContactRequest decider: `decide(command, state, ctx) -> events`. All rules live here; `evolve`
 * (state.ts) only records facts. Pure: time comes in `ctx.now`, policy in `ctx.policy`; ids the
 * decider cannot make come in the command.
 *
 * Decisions worth knowing (shared DESIGN.md "Working time, SLAs, escalation chains"):
 * - Due dates are computed at submission (and at reopen) with the policy's `dueDatesFor` and frozen
 *   in the event.
 * - Only inbound attempts (ContactAttemptRecorded) count as unanswered; the submission itself does
 *   not count towards the threshold, but it is what the first-response clock measures.
 * - Level 1 is raised (when no escalation is open) by:
 *   a) the attempt that brings the unanswered count to `policy.unanswered.threshold`
 *      (reason repeated_unanswered);
 *   b) the first-response deadline passing with the clock still running: CheckDeadline(first_response)
 *      records SlaBreached and raises level 1 (reason sla_breached) whether or not attempts were made,
 *      because the request itself is then an unanswered contact;
 *   c) an attempt recorded at or after the first-response due time while that clock still runs: the
 *      attempt is unanswered past the due time, so it does what the deadline timer would have done
 *      (SlaBreached once, level 1 with reason sla_breached) even if the timer is late or was lost.
 *      After a first response the first-response clock is stopped, and later attempts escalate only
 *      through the threshold (a).
 * - While an escalation is open (unacknowledged or acknowledged) further unanswered attempts are
 *   counted on it (in evolve) and raise nothing.
 * - An officer response resolves the open escalation, clears unanswered attempts and stops the
 *   first-response clock. Resolving the request also resolves an open escalation (otherwise it would
 *   climb the chain for a closed request).
 * - At the last level, a timeout re-notifies the same role (EscalationRenotified) at most
 *   MAX_RENOTIFICATIONS times, each after the level's ackWithin (not acknowledged) or respondWithin
 *   (acknowledged) window; then the escalation stays open with no more timers.
 * - Timers that fire early, twice, or after the fact (answered, resolved, other level) yield no events.
 */
import { CATEGORIES, dueAfter, dueDatesFor, earliestBackdate, PRIORITIES, type Policy } from '@send/sla';
import type {
  AcknowledgeEscalation,
  AdvanceEscalation,
  AssignRequest,
  CheckDeadline,
  ContactRequestCommand,
  RecordAttempt,
  RecordFailedCallBack,
  RecordResponse,
  ReopenRequest,
  ResolveRequest,
  RouteRequest,
  SetPriority,
  SubmitRequest,
} from './commands';
import { ROUTING_RULES, type Routing } from './routing';
import {
  EscalationClosed,
  EscalationNotFound,
  InvalidCommand,
  NotRoutedToYou,
  RequestAlreadyExists,
  ReopenWindowClosed,
  ReplyNeeded,
  RequestClosed,
  RequestNotFound,
  RequestNotResolved,
} from './errors';
import {
  ATTEMPT_OUTCOMES,
  CHANNELS,
  REQUESTER_ROLES,
  RESOLVED_WITHOUT_REPLY_REASONS,
  RESPONSE_KINDS,
  SCHEMA_VERSION,
  type Clock,
  type ContactRequestEvent,
  type AdvanceReason,
  type EscalationAdvanced,
  type EscalationRaised,
  type EscalationReason,
  type EscalationRenotified,
  type EscalationResolved,
  type EscalationRole,
  type SlaBreached,
  type WithoutReply,
} from './events';
import { evolve, isSubmitted, type ContactRequestState, type EscalationState, type State } from './state';

export interface DecideContext {
  now: Date;
  policy: Policy;
}

/** How many times the last level is re-notified before the escalation just stays open. */
export const MAX_RENOTIFICATIONS = 3;

/** Escalation roles in chain order: a manager may acknowledge what is routed to their level or below. */
export const ESCALATION_ROLE_RANK: Readonly<Record<EscalationRole, number>> = {
  team_manager: 1,
  service_manager: 2,
  head_of_service: 3,
};

const iso = (d: Date): string => d.toISOString();
const ms = (s: string): number => Date.parse(s);

/**
 * When something happened, as the command says (default: now). Never later than the decision time (a
 * sender's clock running ahead must not put facts in the future), never older than the policy's
 * intake.maxBackdate, and never before `floor` (the request's received time): no clock may run
 * before its request arrived.
 */
const instantOrNow = (
  field: string,
  value: string | undefined,
  ctx: DecideContext,
  floor?: string,
  beforeFloor: 'refuse' | 'clamp' = 'refuse',
): string => {
  if (value === undefined) return iso(ctx.now);
  const t = Date.parse(value);
  if (Number.isNaN(t)) throw new InvalidCommand(field, `"${value}" is not an ISO-8601 instant (e.g. 2026-12-24T16:30:00Z)`);
  const earliest = earliestBackdate(ctx.policy, ctx.now);
  if (t < earliest.getTime()) {
    throw new InvalidCommand(
      field,
      `${value} is more than ${ctx.policy.intake.maxBackdate} ago (intake.maxBackdate): enter it as a new contact`,
    );
  }
  if (floor !== undefined && t < ms(floor)) {
    if (beforeFloor === 'clamp') return floor;
    throw new InvalidCommand(field, `${value} is before the request was received (${floor})`);
  }
  return iso(new Date(Math.min(t, ctx.now.getTime())));
};

/**
 * Last line of defence for what gets stored forever: the app validates input shapes (zod) first, but
 * an event with an unknown enum value or an empty key field must never reach the stream.
 */
const oneOf = <T extends string>(field: string, value: unknown, allowed: readonly T[]): void => {
  if (!(allowed as readonly unknown[]).includes(value)) {
    throw new InvalidCommand(field, `"${String(value)}" is not one of ${allowed.join(', ')}`);
  }
};
const nonEmpty = (field: string, value: unknown): void => {
  if (typeof value !== 'string' || value.trim() === '') throw new InvalidCommand(field, 'must be a non-empty string');
};

const escalationIsOpen = (e: EscalationState | null): e is EscalationState => e !== null && e.status !== 'resolved';

type ChainLevel = Policy['escalation']['chain'][number];
/** The policy's chain entry for `level` (1-based); a level beyond a since-shortened chain uses the last entry. */
const chainLevel = (policy: Policy, level: number): ChainLevel | undefined => {
  const chain = policy.escalation.chain;
  if (chain.length === 0) return undefined;
  return chain[Math.min(Math.max(level, 1), chain.length) - 1];
};

/** `from` (default now) plus a working-time duration of the policy, due as the policy's sla.dueAt says. */
const addWorking = (ctx: DecideContext, duration: string, from: Date | string = ctx.now): string =>
  iso(dueAfter(ctx.policy, typeof from === 'string' ? new Date(from) : from, duration));

/**
 * Raises an escalation: at level 1, or, when an earlier escalation of this request ended within the
 * policy's escalation.memory, at the level that one reached (a family who was failed at head-of-service
 * level a week ago does not start again at the bottom).
 */
const raiseEscalation = (
  ctx: DecideContext,
  s: ContactRequestState,
  escalationId: string,
  reason: EscalationReason,
  unansweredCount: number,
): EscalationRaised[] => {
  const chain = ctx.policy.escalation.chain;
  if (chain.length === 0) return []; // a policy without a chain escalates to no one
  const last = s.escalation;
  const remembered =
    last !== null &&
    last.status === 'resolved' &&
    last.resolvedAt !== null &&
    addWorking(ctx, ctx.policy.escalation.memory, last.resolvedAt) >= iso(ctx.now)
      ? last
      : null;
  const level = Math.min(remembered?.level ?? 1, chain.length);
  const entry = chainLevel(ctx.policy, level)!;
  return [
    {
      type: 'EscalationRaised',
      data: {
        schemaVersion: SCHEMA_VERSION,
        escalationId,
        level,
        notifyRole: entry.role,
        reason,
        unansweredCount,
        raisedAt: iso(ctx.now),
        ackDueAt: addWorking(ctx, entry.ackWithin),
        ...(remembered && level > 1 ? { resumesFrom: remembered.id } : {}),
      },
    },
  ];
};

const breach = (clock: Clock, dueAt: string, now: Date): SlaBreached => ({
  type: 'SlaBreached',
  data: { schemaVersion: SCHEMA_VERSION, clock, dueAt, breachedAt: iso(now) },
});

const resolveEscalation = (e: EscalationState, by: string, now: Date): EscalationResolved => ({
  type: 'EscalationResolved',
  data: { schemaVersion: SCHEMA_VERSION, escalationId: e.id, by, at: iso(now) },
});

// ---- per-command decisions -------------------------------------------------------------------

const submit = (c: SubmitRequest, state: State, ctx: DecideContext): ContactRequestEvent[] => {
  if (isSubmitted(state)) throw new RequestAlreadyExists(c.requestId);
  const priority = c.priority ?? 'normal';
  (['requestId', 'reference', 'subject', 'message'] as const).forEach((f) => nonEmpty(f, c[f]));
  // caseRef is optional in the API (POST /api/requests): '' means "not yet linked to a case".
  if (typeof c.caseRef !== 'string') throw new InvalidCommand('caseRef', "must be a string ('' when not known yet)");
  nonEmpty('requester.name', c.requester?.name);
  // A requester reached only by phone (staff submitting on their behalf) may have no email: ''.
  if (typeof c.requester?.email !== 'string') throw new InvalidCommand('requester.email', "must be a string ('' when not known)");
  oneOf('requester.role', c.requester?.role, REQUESTER_ROLES);
  oneOf('channel', c.channel, CHANNELS);
  oneOf('category', c.category, CATEGORIES);
  oneOf('priority', priority, PRIORITIES);
  if (c.routing) checkRouting(c.routing);
  // A letter or call entered later runs its clocks from when it arrived.
  const receivedAt = c.receivedAt === undefined ? iso(ctx.now) : instantOrNow('receivedAt', c.receivedAt, ctx);
  const due = dueDatesFor(ctx.policy, { category: c.category, priority }, new Date(receivedAt));
  const submitted: ContactRequestEvent[] = [
    {
      type: 'ContactRequestSubmitted',
      data: {
        schemaVersion: SCHEMA_VERSION,
        requestId: c.requestId,
        reference: c.reference,
        caseRef: c.caseRef,
        requester: c.requester,
        channel: c.channel,
        category: c.category,
        priority,
        subject: c.subject,
        message: c.message,
        submittedAt: iso(ctx.now),
        due: { firstResponseAt: iso(due.firstResponseAt), resolutionAt: iso(due.resolutionAt) },
        ...(c.teamId !== undefined ? { teamId: c.teamId } : {}),
        ...(receivedAt !== iso(ctx.now) ? { receivedAt } : {}),
        ...(c.requesterFlaggedUrgent ? { requesterFlaggedUrgent: true } : {}),
      },
    },
  ];
  return c.routing ? [...submitted, ...routed(c.routing, c.by ?? c.requester.userId ?? 'requester', ctx.now)] : submitted;
};

const checkRouting = (r: Routing): void => {
  oneOf('routing.rule', r.rule, ROUTING_RULES);
  const inTriage = r.teamId === null;
  if (inTriage && (r.caseRef !== null || r.officerId !== null || r.needsCover)) {
    throw new InvalidCommand('routing', 'a request in triage (no team) has no case, officer or cover flag');
  }
  if (!inTriage) nonEmpty('routing.teamId', r.teamId);
  if (r.needsCover && r.officerId !== null) throw new InvalidCommand('routing', 'a request that needs cover is assigned to no one');
};

/** The routing event, and the assignment to the case officer when there is one. */
const routed = (r: Routing, by: string, now: Date): ContactRequestEvent[] => {
  const at = iso(now);
  const events: ContactRequestEvent[] = [{ type: 'RequestRouted', data: { schemaVersion: SCHEMA_VERSION, ...r, by, at } }];
  if (r.officerId !== null && r.teamId !== null) {
    events.push({ type: 'RequestAssigned', data: { schemaVersion: SCHEMA_VERSION, officerId: r.officerId, teamId: r.teamId, by, at } });
  }
  return events;
};

const route = (c: RouteRequest, s: ContactRequestState, ctx: DecideContext): ContactRequestEvent[] => {
  if (s.status === 'resolved') throw new RequestClosed(s.requestId, 'routing');
  checkRouting(c.routing);
  // Moving to a team without naming a case keeps the case the request is filed on.
  const routing = c.routing.caseRef === null && c.routing.teamId !== null && s.caseRef ? { ...c.routing, caseRef: s.caseRef } : c.routing;
  const same =
    s.routing !== null &&
    s.caseRef === (routing.caseRef ?? '') &&
    s.teamId === routing.teamId &&
    s.needsCover === routing.needsCover &&
    (s.assignee?.officerId ?? null) === routing.officerId;
  if (same) return []; // already there: a retry
  return routed(routing, c.by, ctx.now);
};

const recordAttempt = (c: RecordAttempt, state: ContactRequestState, ctx: DecideContext): ContactRequestEvent[] => {
  // The family getting in touch about a request resolved in the last sla.reopenWithin reopens it
  // rather than being turned away; later than that, it is a new request.
  let s = state;
  const reopening: ContactRequestEvent[] = [];
  if (s.status === 'resolved') {
    const closesAt = addWorking(ctx, ctx.policy.sla.reopenWithin, s.resolvedAt!);
    if (iso(ctx.now) > closesAt) throw new RequestClosed(s.requestId, 'recording an attempt');
    reopening.push(
      reopened(s, ctx, { by: c.by ?? s.requester.userId ?? 'requester', reason: 'The family got in touch again', byRequester: true }),
    );
    s = evolve(s, reopening[0]!) as ContactRequestState;
  }
  return [...reopening, ...attemptOn(c, s, ctx)];
};

const attemptOn = (c: RecordAttempt, s: ContactRequestState, ctx: DecideContext): ContactRequestEvent[] => {
  nonEmpty('attemptId', c.attemptId);
  oneOf('channel', c.channel, CHANNELS);
  oneOf('outcome', c.outcome ?? 'unanswered', ATTEMPT_OUTCOMES);
  oneOf('source', c.source, ['portal', 'officer', 'telephony'] as const);
  // A call the telephony system reports late may predate the request it is filed on (the family rang,
  // then wrote): it counts from the request's received time, so no clock runs before the request.
  const at = instantOrNow('at', c.at, ctx, s.receivedAt, c.source === 'telephony' ? 'clamp' : 'refuse');
  const events: ContactRequestEvent[] = [
    {
      type: 'ContactAttemptRecorded',
      data: {
        schemaVersion: SCHEMA_VERSION,
        attemptId: c.attemptId,
        channel: c.channel,
        direction: 'inbound',
        outcome: c.outcome ?? 'unanswered',
        at,
        source: c.source,
      },
    },
  ];
  // Same test as evolve: an attempt dated before the latest response was answered by it.
  const unanswered = s.lastRespondedAt === null || ms(at) > ms(s.lastRespondedAt);
  if (!unanswered) return events;
  const unansweredCount = s.unansweredCount + 1;

  const firstResponseRunning = s.firstRespondedAt === null;
  const pastFirstResponseDue = firstResponseRunning && ctx.now.getTime() >= ms(s.due.firstResponseAt);
  if (pastFirstResponseDue && !s.breached.first_response) {
    events.push(breach('first_response', s.due.firstResponseAt, ctx.now));
  }
  if (!escalationIsOpen(s.escalation)) {
    const escalationId = c.escalationId ?? `esc-${c.attemptId}`;
    if (pastFirstResponseDue) {
      events.push(...raiseEscalation(ctx, s, escalationId, 'sla_breached', unansweredCount));
    } else if (unansweredCount >= ctx.policy.unanswered.threshold) {
      events.push(...raiseEscalation(ctx, s, escalationId, 'repeated_unanswered', unansweredCount));
    }
  }
  return events;
};

const assign = (c: AssignRequest, s: ContactRequestState, ctx: DecideContext): ContactRequestEvent[] => {
  if (s.status === 'resolved') throw new RequestClosed(s.requestId, 'assigning');
  const base = { schemaVersion: SCHEMA_VERSION, officerId: c.officerId, teamId: c.teamId, by: c.by, at: iso(ctx.now) };
  if (s.assignee === null) return [{ type: 'RequestAssigned', data: base }];
  if (s.assignee.officerId === c.officerId && s.assignee.teamId === c.teamId) return []; // already so: a retry
  return [
    {
      type: 'RequestReassigned',
      data: { ...base, fromOfficerId: s.assignee.officerId, fromTeamId: s.assignee.teamId },
    },
  ];
};

const respond = (c: RecordResponse, s: ContactRequestState, ctx: DecideContext): ContactRequestEvent[] => {
  if (s.status === 'resolved') throw new RequestClosed(s.requestId, 'recording a response');
  const kind = c.kind ?? 'full';
  oneOf('kind', kind, RESPONSE_KINDS);
  const at = instantOrNow('at', c.at, ctx, s.receivedAt);
  const backdated = at !== iso(ctx.now);
  const events: ContactRequestEvent[] = [
    {
      type: 'OfficerResponded',
      data: {
        schemaVersion: SCHEMA_VERSION,
        responseId: c.responseId,
        officerId: c.officerId,
        channel: c.channel,
        summary: c.summary,
        at,
        kind,
        ...(kind === 'holding' ? { updateDueAt: addWorking(ctx, ctx.policy.sla.updateWithin, at) } : {}),
        ...(backdated ? { enteredAt: iso(ctx.now) } : {}),
      },
    },
  ];
  // Only a full reply answers the family: a holding reply leaves an open escalation open.
  if (kind === 'full' && escalationIsOpen(s.escalation)) events.push(resolveEscalation(s.escalation, c.officerId, ctx.now));
  return events;
};

const failedCallBack = (c: RecordFailedCallBack, s: ContactRequestState, ctx: DecideContext): ContactRequestEvent[] => {
  if (s.status === 'resolved') throw new RequestClosed(s.requestId, 'recording a failed call-back');
  // Effort, not a response: it clears nothing and stops no clock.
  return [
    {
      type: 'CallBackFailed',
      data: { schemaVersion: SCHEMA_VERSION, officerId: c.officerId, at: instantOrNow('at', c.at, ctx, s.receivedAt) },
    },
  ];
};

const resolve = (c: ResolveRequest, s: ContactRequestState, ctx: DecideContext): ContactRequestEvent[] => {
  if (s.status === 'resolved') throw new RequestClosed(s.requestId, 'resolving again');
  // The reason is for a request that never had a reply; once it had one, it is not asked for and not kept.
  const replied = s.firstEverRespondedAt !== null;
  const withoutReply = c.withoutReply === undefined || replied ? undefined : checkWithoutReply(c.withoutReply, s, ctx);
  if (!replied && withoutReply === undefined) throw new ReplyNeeded(s.requestId);
  const events: ContactRequestEvent[] = [];
  if (escalationIsOpen(s.escalation)) events.push(resolveEscalation(s.escalation, c.by, ctx.now));
  events.push({
    type: 'RequestResolved',
    data: { schemaVersion: SCHEMA_VERSION, by: c.by, outcome: c.outcome, at: iso(ctx.now), ...(withoutReply ? { withoutReply } : {}) },
  });
  return events;
};

const checkWithoutReply = (w: WithoutReply, s: ContactRequestState, ctx: DecideContext): WithoutReply => {
  oneOf('withoutReply.reason', w.reason, RESOLVED_WITHOUT_REPLY_REASONS);
  if (w.reason !== 'answered_outside') {
    if (w.answeredAt !== undefined) throw new InvalidCommand('withoutReply.answeredAt', 'is only for answered_outside');
    return { reason: w.reason };
  }
  if (w.answeredAt === undefined)
    throw new InvalidCommand('withoutReply.answeredAt', 'is required for answered_outside: when the family was answered');
  return { reason: w.reason, answeredAt: instantOrNow('withoutReply.answeredAt', w.answeredAt, ctx, s.receivedAt) };
};

const reopened = (
  s: ContactRequestState,
  ctx: DecideContext,
  r: { by: string; reason: string; byRequester: boolean },
): ContactRequestEvent => {
  const due = dueDatesFor(ctx.policy, { category: s.category, priority: s.priority }, ctx.now);
  return {
    type: 'RequestReopened',
    data: {
      schemaVersion: SCHEMA_VERSION,
      by: r.by,
      reason: r.reason,
      at: iso(ctx.now),
      due: { firstResponseAt: iso(due.firstResponseAt), resolutionAt: iso(due.resolutionAt) },
      ...(r.byRequester ? { byRequester: true } : {}),
    },
  };
};

const reopen = (c: ReopenRequest, s: ContactRequestState, ctx: DecideContext): ContactRequestEvent[] => {
  if (s.status !== 'resolved') throw new RequestNotResolved(s.requestId);
  nonEmpty('reason', c.reason);
  if (c.byRequester) {
    const closesAt = addWorking(ctx, ctx.policy.sla.reopenWithin, s.resolvedAt!);
    if (iso(ctx.now) > closesAt) throw new ReopenWindowClosed(s.requestId, closesAt);
  }
  return [reopened(s, ctx, { by: c.by, reason: c.reason, byRequester: c.byRequester === true })];
};

const setPriority = (c: SetPriority, s: ContactRequestState, ctx: DecideContext): ContactRequestEvent[] => {
  if (s.status === 'resolved') throw new RequestClosed(s.requestId, 'changing the priority');
  oneOf('priority', c.priority, PRIORITIES);
  if (c.priority === s.priority) return [];
  // The current period's clocks run from when it started: the received time, or the last reopening.
  const due = dueDatesFor(ctx.policy, { category: s.category, priority: c.priority }, new Date(s.periodStartedAt));
  return [
    {
      type: 'PriorityChanged',
      data: {
        schemaVersion: SCHEMA_VERSION,
        priority: c.priority,
        by: c.by,
        at: iso(ctx.now),
        due: { firstResponseAt: iso(due.firstResponseAt), resolutionAt: iso(due.resolutionAt) },
      },
    },
  ];
};

const checkDeadline = (c: CheckDeadline, s: ContactRequestState, ctx: DecideContext): ContactRequestEvent[] => {
  if (s.status === 'resolved') return []; // both clocks stopped: a stale timer
  if (s.breached[c.clock]) return []; // once per clock (per period)
  if (c.clock === 'first_response') {
    if (s.firstRespondedAt !== null) return []; // answered in time: stale timer
    const dueAt = s.due.firstResponseAt;
    if (ctx.now.getTime() < ms(dueAt)) return []; // early
    const events: ContactRequestEvent[] = [breach('first_response', dueAt, ctx.now)];
    if (!escalationIsOpen(s.escalation)) {
      const escalationId = c.escalationId ?? `esc-${s.requestId}-first_response-p${s.period}`;
      events.push(...raiseEscalation(ctx, s, escalationId, 'sla_breached', s.unansweredCount));
    }
    return events;
  }
  if (c.clock === 'update') {
    // A holding reply promised an update by updateDueAt; a full reply (or another holding reply) since clears or moves it.
    const dueAt = s.updateDueAt;
    if (dueAt === null || ctx.now.getTime() < ms(dueAt)) return [];
    const events: ContactRequestEvent[] = [breach('update', dueAt, ctx.now)];
    // A missed update raises an escalation, or moves an open one up: the family was told to wait and was let down again.
    if (escalationIsOpen(s.escalation)) events.push(...climb(s.escalation, 'update_missed', ctx));
    else
      events.push(
        ...raiseEscalation(ctx, s, c.escalationId ?? `esc-${s.requestId}-update-h${s.holdingReplies}`, 'update_missed', s.unansweredCount),
      );
    return events;
  }
  const dueAt = s.due.resolutionAt;
  if (ctx.now.getTime() < ms(dueAt)) return [];
  return [breach('resolution', dueAt, ctx.now)];
};

const acknowledge = (c: AcknowledgeEscalation, s: ContactRequestState, ctx: DecideContext): ContactRequestEvent[] => {
  const e = s.escalation;
  if (e === null || e.id !== c.escalationId) {
    // An older escalation of this request is necessarily resolved (one open at a time).
    if (s.earlierEscalations.some((earlier) => earlier.id === c.escalationId)) throw new EscalationClosed(s.requestId, c.escalationId);
    throw new EscalationNotFound(s.requestId, c.escalationId);
  }
  if (e.status === 'resolved') throw new EscalationClosed(s.requestId, c.escalationId);
  if (c.role !== undefined) {
    const rank = Object.hasOwn(ESCALATION_ROLE_RANK, c.role) ? ESCALATION_ROLE_RANK[c.role as EscalationRole] : 0;
    if (rank < ESCALATION_ROLE_RANK[e.notifyRole]) throw new NotRoutedToYou(e.id, c.role, e.notifyRole);
  }
  if (e.status === 'acknowledged') return []; // already acknowledged at this level: a retry
  const level = chainLevel(ctx.policy, e.level);
  // No chain entry (policy lost its chain since): nothing bounds the response; keep the ack deadline.
  const respondDueAt = level ? addWorking(ctx, level.respondWithin) : e.ackDueAt;
  return [
    {
      type: 'EscalationAcknowledged',
      data: { schemaVersion: SCHEMA_VERSION, escalationId: e.id, level: e.level, by: c.by, at: iso(ctx.now), respondDueAt },
    },
  ];
};

const advance = (c: AdvanceEscalation, s: ContactRequestState, ctx: DecideContext): ContactRequestEvent[] => {
  const e = s.escalation;
  if (s.status === 'resolved' || !escalationIsOpen(e) || e.id !== c.escalationId || e.level !== c.expectedLevel) return [];
  const now = ctx.now.getTime();
  let reason: AdvanceReason;
  if (e.status === 'open') {
    if (now < ms(e.ackDueAt)) return [];
    reason = 'ack_timeout';
  } else {
    if (e.respondDueAt === null || now < ms(e.respondDueAt)) return [];
    reason = 'still_unanswered';
  }
  return climb(e, reason, ctx);
};

/** One step up the chain (or, at its last level, a bounded re-notification of the same role). */
const climb = (e: EscalationState, reason: AdvanceReason, ctx: DecideContext): ContactRequestEvent[] => {
  const chain = ctx.policy.escalation.chain;
  if (chain.length === 0) return [];
  if (e.level < chain.length) {
    const next = chain[e.level]!; // level n+1 is chain[n]
    const advanced: EscalationAdvanced = {
      type: 'EscalationAdvanced',
      data: {
        schemaVersion: SCHEMA_VERSION,
        escalationId: e.id,
        fromLevel: e.level,
        toLevel: e.level + 1,
        notifyRole: next.role,
        reason,
        at: iso(ctx.now),
        ackDueAt: addWorking(ctx, next.ackWithin),
      },
    };
    return [advanced];
  }
  // The last level (or beyond a shortened chain): stay open and re-notify, a bounded number of times.
  if (e.renotifications >= MAX_RENOTIFICATIONS) return [];
  const last = chain[chain.length - 1]!;
  const renotified: EscalationRenotified = {
    type: 'EscalationRenotified',
    data: {
      schemaVersion: SCHEMA_VERSION,
      escalationId: e.id,
      level: e.level,
      notifyRole: last.role,
      reason,
      renotification: e.renotifications + 1,
      at: iso(ctx.now),
      ...(reason === 'ack_timeout' ? { ackDueAt: addWorking(ctx, last.ackWithin) } : { respondDueAt: addWorking(ctx, last.respondWithin) }),
    },
  };
  return [renotified];
};

export const decide = (command: ContactRequestCommand, state: State, ctx: DecideContext): ContactRequestEvent[] => {
  if (command.type === 'SubmitRequest') return submit(command, state, ctx);
  if (!isSubmitted(state)) throw new RequestNotFound(command.requestId);
  if (command.requestId !== state.requestId) {
    throw new InvalidCommand('requestId', `command is for ${command.requestId} but the stream holds ${state.requestId}`);
  }
  switch (command.type) {
    case 'RouteRequest':
      return route(command, state, ctx);
    case 'RecordAttempt':
      return recordAttempt(command, state, ctx);
    case 'AssignRequest':
      return assign(command, state, ctx);
    case 'RecordResponse':
      return respond(command, state, ctx);
    case 'RecordFailedCallBack':
      return failedCallBack(command, state, ctx);
    case 'ResolveRequest':
      return resolve(command, state, ctx);
    case 'ReopenRequest':
      return reopen(command, state, ctx);
    case 'SetPriority':
      return setPriority(command, state, ctx);
    case 'CheckDeadline':
      return checkDeadline(command, state, ctx);
    case 'AcknowledgeEscalation':
      return acknowledge(command, state, ctx);
    case 'AdvanceEscalation':
      return advance(command, state, ctx);
    default: {
      const unknown: never = command;
      throw new InvalidCommand('type', `unknown command ${(unknown as { type: string }).type}`);
    }
  }
};
