/**
 * The demo requests as stories: who asked what, when, and what people did about it afterwards.
 * Pure: a story is data (the submission plus scripted steps at historical instants); the history
 * player (history-player.ts) runs it through the real decider and fires the timers in between.
 *
 * Each request has its own PRNG seeded from its index, so request n is always the same story
 * (category, requester, what happens) whatever `now` is; only the instants are placed relative to
 * `now` (within the last 8 weeks, officers acting in working time).
 */
import { DateTime } from 'luxon';
import { v5 as uuidv5 } from 'uuid';
import type {
  Category,
  Channel,
  ContactRequestCommand,
  ContactRequestState,
  Priority,
  Requester,
  ResponseChannel,
  Routing,
  SubmitRequest,
  SyncCase,
} from '@send/domain';
import { isAwayAt, rerouteTo, routeRequest } from '@send/domain';
import { addWorkingTime, calendarOf, dueDatesFor, slaFor, workingTimeBetween, type Policy, type WorkingCalendar } from '@send/sla';
import { allDemoCases, casesOf, routable } from './demo-families';
import {
  acknowledgerFor,
  HEAD_OF_SERVICE,
  OFFLINE_REQUESTERS,
  PORTAL_REQUESTERS,
  TEAMS,
  TELEPHONY_ACTOR,
  type Actor,
  type TeamId,
} from './demo-people';
import { REOPEN_REASONS, TEXTS } from './demo-texts';
import { Prng } from './prng';

export const DEMO_SEED = 20_261_128;
export const DEMO_REQUEST_COUNT = 72;
export const DEMO_WEEKS = 8;
const DEMO_NAMESPACE = 'c3a7e0d2-8b4f-4f1e-9d6a-5e2b7c9a1f30';

/** uuid v5 of the index: the same demo request always has the same id (and so the same stream). */
export const demoRequestId = (index: number): string => uuidv5(`demo-request:${index}`, DEMO_NAMESPACE);

export type Story =
  'prompt' | 'awaiting' | 'late' | 'chased' | 'chased_climb' | 'callback' | 'reopened' | 'fresh' | 'silent' | 'chasing_now' | 'inspection';
const STORY_WEIGHTS: Record<Exclude<Story, 'chasing_now' | 'inspection'>, number> = {
  prompt: 26,
  awaiting: 9,
  late: 12,
  chased: 9,
  chased_climb: 7,
  callback: 5,
  reopened: 6,
  fresh: 9,
  silent: 3,
};
/**
 * Two stories are fixed rather than drawn, so whatever day the api starts, team north's manager
 * (manager@example.org) has live level-1 alerts: a family chasing right now, one of them already
 * acknowledged.
 */
const CHASING_NOW: Readonly<Record<number, 'open' | 'acknowledged'>> = { 5: 'open', 41: 'acknowledged' };
/** The inspection's family (shared/context): one request they chased 40+ times before anyone answered. */
export const INSPECTION_INDEX = 17;
export const INSPECTION_CASE = 'C-2001';
export const INSPECTION_ATTEMPTS = 46;
/** How often a family's case comes up: the API.md families most, so the demo logins have history to show. */
const CASE_WEIGHTS: Readonly<Record<string, number>> = {
  'C-1001': 5,
  'C-1002': 2,
  'C-2001': 3,
  'C-1003': 2,
  'C-1004': 2,
  'C-1005': 1,
  'C-2002': 2,
  'C-2003': 2,
};
const MP = OFFLINE_REQUESTERS.find((r) => r.role === 'mp')!;
const CATEGORY_WEIGHTS: Record<Category, number> = {
  ehc_assessment: 16,
  ehc_plan: 16,
  annual_review: 18,
  placement: 12,
  transport: 12,
  complaint: 8,
  general: 18,
};
const URGENT_CHANCE: Record<Category, number> = {
  ehc_assessment: 0.05,
  ehc_plan: 0.08,
  annual_review: 0.05,
  placement: 0.2,
  transport: 0.3,
  complaint: 0,
  general: 0.03,
};

export interface ScriptStep {
  at: Date;
  actor: Actor;
  /** The command in the state the story reached, or null when it took another turn (nothing to acknowledge, already closed). */
  command: (state: ContactRequestState) => ContactRequestCommand | null;
}

export interface DemoRequest {
  index: number;
  requestId: string;
  story: Story;
  /** The family's case the request is about; it is filed there at submission, or re-routed there from triage (unless still waiting in triage). */
  aboutCase: string;
  /** Where routing sent it at submission (routeRequest, as the live submission decides). */
  routing: Routing;
  submittedAt: Date;
  submitter: Actor;
  /** The SubmitRequest without its reference, which is allocated when the request is actually seeded. */
  submit: Omit<SubmitRequest, 'reference'>;
  steps: ScriptStep[];
}

/** An officer's past leave: requests routed to them meanwhile wait in the team queue needing cover. */
export interface DemoLeave {
  officerId: string;
  awayFrom: string;
  awayUntil: string;
}

/** officer2@'s fortnight off, five to three weeks ago (whole days, London time); officer@ covers. */
export const demoLeave = (now: Date, policy: Policy): DemoLeave => {
  const today = DateTime.fromJSDate(now, { zone: policy.calendar.timezone }).startOf('day');
  return {
    officerId: TEAMS.north.officers[1].id,
    awayFrom: today.minus({ days: 35 }).toUTC().toISO()!,
    awayUntil: today.minus({ days: 21 }).toUTC().toISO()!,
  };
};

/** The whole demo set, in submission order; `leave` when the seeder recorded demoLeave on the officer's account. */
export function demoRequests(now: Date, policy: Policy, count = DEMO_REQUEST_COUNT, leave: DemoLeave | null = null): DemoRequest[] {
  const cal = calendarOf(policy);
  const cases = allDemoCases();
  return Array.from({ length: count }, (_, index) => demoRequest(index, now, policy, cal, cases, leave)).sort(
    (a, b) => a.submittedAt.getTime() - b.submittedAt.getTime() || a.index - b.index,
  );
}

function demoRequest(
  index: number,
  now: Date,
  policy: Policy,
  cal: WorkingCalendar,
  cases: readonly SyncCase[],
  leave: DemoLeave | null,
): DemoRequest {
  const rng = new Prng(DEMO_SEED + index * 7919);
  const drawn = rng.weighted(STORY_WEIGHTS);
  const story: Story = index === INSPECTION_INDEX ? 'inspection' : CHASING_NOW[index] ? 'chasing_now' : drawn;
  const category = story === 'inspection' ? 'ehc_plan' : rng.weighted(CATEGORY_WEIGHTS);
  const priority: Priority = story !== 'inspection' && rng.chance(URGENT_CHANCE[category]) ? 'urgent' : 'normal';
  const text = story === 'inspection' ? INSPECTION_TEXT : rng.pick(TEXTS[category]);

  // Which family: a case, then one of its contacts (now and then their MP writes instead).
  const drawable = cases.filter((c) => story !== 'chasing_now' || c.teamId === 'north'); // manager@'s live alerts
  const aboutRef =
    story === 'inspection'
      ? INSPECTION_CASE
      : rng.weighted(Object.fromEntries(drawable.map((d) => [d.caseRef, CASE_WEIGHTS[d.caseRef] ?? 1])));
  const about = cases.find((c) => c.caseRef === aboutRef)!;
  const contact = story === 'inspection' ? about.contacts!.find((k) => k.userId)! : rng.pick(about.contacts ?? []);
  const viaMp = story !== 'inspection' && rng.chance(0.06);
  const portal = viaMp ? undefined : PORTAL_REQUESTERS.find((p) => contact.userId !== undefined && p.requester.userId === contact.userId);
  const requester: Requester = portal ? portal.requester : viaMp ? MP : OFFLINE_REQUESTERS.find((o) => o.name === contact.name)!;
  const team = about.teamId as TeamId;
  const caseOfficer = TEAMS[team].officers.find((o) => o.id === about.caseOfficerId)!;
  const manager = TEAMS[team].manager;

  // How it reached the service.
  const channel: Channel = portal
    ? story === 'inspection' || rng.chance(0.85)
      ? 'portal'
      : 'email'
    : requester.role === 'mp'
      ? 'mp'
      : rng.weighted({ phone: 45, email: 35, letter: 10, in_person: 10 });
  // Portal requests come in at any hour; the rest are entered by an officer in working time.
  const onBehalf = !(portal && channel === 'portal');

  // The case number they gave: families with one case often leave it out (routing finds it); a
  // SENCo with several pupils must give it; now and then a mistyped one lands in triage.
  const linked = casesOf(cases, requester);
  const named = story === 'inspection' ? false : rng.chance(onBehalf ? 0.8 : linked.length > 1 ? 0.85 : 0.5);
  const requestedCaseRef = named ? (rng.chance(0.05) ? `${about.caseRef}0` : about.caseRef) : '';
  const submittedAt =
    story === 'chasing_now'
      ? workingTimeAgo(cal, now, rng.between(0.45, 0.5) * slaSpan(cal, now, slaFor(policy, { category, priority }).firstResponse))
      : story === 'inspection'
        ? workingTimeAgo(cal, now, 30 * slaSpan(cal, now, 'P1D') + rng.between(0.1, 0.5) * slaSpan(cal, now, 'P1D'))
        : submissionTime(rng, story, onBehalf, now, cal);

  // Who works it: the case officer, or while they are on leave the team's other officer (cover).
  const awayAt = (officerId: string, at: Date) => leave !== null && leave.officerId === officerId && isAwayAt(leave, at);
  const cover = TEAMS[team].officers.find((o) => o.id !== caseOfficer.id);
  const officer = awayAt(caseOfficer.id, submittedAt) && cover ? cover : caseOfficer;
  const submitter = onBehalf ? officer : portal!.actor;
  // Routed as the live submission routes it, with the case officer's availability at that instant.
  const namedCase = cases.find((c) => c.caseRef === requestedCaseRef);
  const routing = routeRequest({
    requestedCaseRef,
    namedCase: namedCase ? routable(namedCase) : null,
    linkedCases: linked.map(routable),
    onBehalf,
    isAway: (officerId) => awayAt(officerId, submittedAt),
  });
  const due = dueDatesFor(policy, { category, priority }, submittedAt);
  const requestId = demoRequestId(index);

  // ---- helpers for placing actions in working time -------------------------------------------
  const fr = workingTimeBetween(cal, submittedAt, due.firstResponseAt); // working ms of the first-response SLA
  const res = workingTimeBetween(cal, submittedAt, due.resolutionAt);
  const after = (from: Date, workingMs: number): Date => addWorkingTime(cal, from, `PT${Math.max(60, Math.round(workingMs / 1000))}S`);
  const windowOf = (from: Date, duration: string | undefined): number =>
    duration ? workingTimeBetween(cal, from, addWorkingTime(cal, from, duration)) : fr;
  const chain = policy.escalation.chain;

  const steps: ScriptStep[] = [];
  const open = (s: ContactRequestState) => s.status !== 'resolved';
  const step = (at: Date, actor: Actor, command: ScriptStep['command']) => steps.push({ at, actor, command });
  let n = 0;
  const nextId = (what: string) => uuidv5(`demo:${index}:${what}:${n++}`, DEMO_NAMESPACE);

  const assign = (at: Date, by: Actor = rng.chance(0.7) ? officer : manager) =>
    step(at, by, (s) => (open(s) ? { type: 'AssignRequest', requestId, officerId: officer.id, teamId: team, by: by.id } : null));
  const respond = (at: Date, via: ResponseChannel = rng.pick<ResponseChannel>(['email', 'phone', 'phone', 'portal', 'meeting'])) => {
    const responseId = nextId('response');
    const summary = rng.pick([
      'Called the family and explained next steps.',
      'Replied with an update and timescales.',
      'Sent the information requested.',
      'Met the family at school to talk it through.',
    ]);
    step(at, officer, (s) =>
      open(s) ? { type: 'RecordResponse', requestId, responseId, officerId: officer.id, channel: via, summary } : null,
    );
  };
  const resolve = (at: Date) =>
    step(at, officer, (s) => (open(s) ? { type: 'ResolveRequest', requestId, by: officer.id, outcome: text.outcome } : null));
  const attempt = (at: Date) => {
    const attemptId = nextId('attempt');
    const byPortal = portal !== undefined && rng.chance(0.7);
    const viaPhone = !byPortal && rng.chance(0.6);
    const actor = byPortal ? portal!.actor : viaPhone ? TELEPHONY_ACTOR : officer;
    const attemptChannel: Channel = byPortal ? 'portal' : viaPhone ? 'phone' : 'email';
    const source = byPortal ? 'portal' : viaPhone ? 'telephony' : 'officer';
    const outcome = viaPhone ? rng.pick(['unanswered', 'voicemail'] as const) : 'no_reply';
    step(at, actor, (s) =>
      open(s)
        ? {
            type: 'RecordAttempt',
            requestId,
            attemptId,
            channel: attemptChannel,
            outcome,
            at: at.toISOString(),
            source,
            escalationId: `esc-${attemptId}`,
          }
        : null,
    );
  };
  /** Acknowledge the open escalation if it is (still) at `level` and waiting for acknowledgement. */
  const acknowledge = (at: Date, level: number) => {
    const by = acknowledgerFor(level, team);
    step(at, by, (s) =>
      open(s) && s.escalation && s.escalation.status === 'open' && s.escalation.level === level
        ? { type: 'AcknowledgeEscalation', requestId, escalationId: s.escalation.id, by: by.id, role: by.role }
        : null,
    );
  };
  const resolveBetween = (from: Date, lo: number, hi: number) => resolve(after(from, rng.between(lo, hi) * res));

  // ---- the stories -----------------------------------------------------------------------------
  const frDue = new Date(due.firstResponseAt);
  const resDue = new Date(due.resolutionAt);
  switch (story) {
    case 'prompt':
    case 'fresh': {
      assign(after(submittedAt, rng.between(0.03, 0.3) * fr));
      const respondedAt = after(submittedAt, rng.between(0.35, 0.9) * fr);
      if (story === 'fresh' && rng.chance(0.5)) break; // only picked up so far
      respond(respondedAt);
      if (rng.chance(0.85)) resolve(after(respondedAt, rng.between(0.1, 0.85) * workingTimeBetween(cal, respondedAt, resDue)));
      else resolve(after(resDue, rng.between(0.05, 0.4) * res)); // resolved, but after the resolution deadline
      break;
    }
    case 'awaiting': {
      assign(after(submittedAt, rng.between(0.05, 0.3) * fr));
      const respondedAt = after(submittedAt, rng.between(0.4, 0.95) * fr);
      respond(respondedAt);
      respond(after(respondedAt, rng.between(0.2, 0.5) * res), 'email'); // an update while waiting for reports
      if (rng.chance(0.5)) resolve(after(resDue, rng.between(0.2, 0.6) * res));
      break;
    }
    case 'late': {
      // Nobody answered in time: the deadline timer breaches and raises level 1 at the due time.
      assign(after(submittedAt, rng.between(0.1, 0.6) * fr));
      const ackWindow = windowOf(frDue, chain[0]?.ackWithin);
      let respondedAt: Date;
      if (rng.chance(0.5)) {
        const ackAt = after(frDue, rng.between(0.2, 0.7) * ackWindow);
        acknowledge(ackAt, 1);
        respondedAt = after(ackAt, rng.between(0.1, 0.5) * windowOf(ackAt, chain[0]?.respondWithin));
      } else {
        respondedAt = after(frDue, rng.between(0.2, 0.9) * ackWindow);
      }
      respond(respondedAt);
      resolveBetween(respondedAt, 0.05, 0.35);
      break;
    }
    case 'chased':
    case 'chased_climb': {
      // The family tries again and again; the third unanswered attempt raises level 1.
      const picked = rng.chance(0.5);
      if (picked) assign(after(submittedAt, rng.between(0.05, 0.12) * fr));
      const attempts = [0.15, 0.3, 0.45].map((f) => after(submittedAt, (f + rng.between(-0.04, 0.04)) * fr));
      attempts.forEach(attempt);
      const raisedAt = attempts[2]!;
      const ack1Due = addWorkingTime(cal, raisedAt, chain[0]?.ackWithin ?? 'P2D');
      let ackAt: Date;
      if (story === 'chased') {
        ackAt = after(raisedAt, rng.between(0.2, 0.7) * windowOf(raisedAt, chain[0]?.ackWithin));
        acknowledge(ackAt, 1);
        if (rng.chance(0.3)) attempt(after(ackAt, 0.05 * fr)); // one more try, counted on the open escalation
      } else {
        // Not acknowledged: the timer moves it to level 2 at ack1Due; a third of them go to level 3 too.
        const level = rng.chance(0.65) ? 2 : 3;
        const reachedAt = level === 2 ? ack1Due : addWorkingTime(cal, ack1Due, chain[1]?.ackWithin ?? 'P2D');
        ackAt = after(reachedAt, rng.between(0.2, 0.7) * windowOf(reachedAt, chain[level - 1]?.ackWithin));
        acknowledge(ackAt, level);
      }
      if (!picked) assign(after(ackAt, 0.02 * fr), TEAMS[team].manager);
      const respondedAt = after(ackAt, rng.between(0.05, 0.3) * fr);
      respond(respondedAt, 'phone');
      resolveBetween(respondedAt, 0.1, 0.4);
      break;
    }
    case 'callback': {
      assign(after(submittedAt, rng.between(0.05, 0.2) * fr));
      const triedAt = after(submittedAt, rng.between(0.25, 0.5) * fr);
      step(triedAt, officer, (s) =>
        open(s) ? { type: 'RecordFailedCallBack', requestId, officerId: officer.id, at: triedAt.toISOString() } : null,
      );
      const respondedAt = after(triedAt, rng.between(0.1, 0.4) * fr);
      respond(respondedAt, 'email');
      resolveBetween(respondedAt, 0.1, 0.4);
      break;
    }
    case 'reopened': {
      assign(after(submittedAt, rng.between(0.05, 0.3) * fr));
      const respondedAt = after(submittedAt, rng.between(0.3, 0.8) * fr);
      respond(respondedAt);
      const resolvedAt = after(respondedAt, rng.between(0.1, 0.4) * res);
      resolve(resolvedAt);
      const reopenedAt = after(resolvedAt, rng.between(0.05, 0.25) * res);
      const reason = rng.pick(REOPEN_REASONS);
      step(reopenedAt, officer, (s) => (s.status === 'resolved' ? { type: 'ReopenRequest', requestId, by: officer.id, reason } : null));
      const againAt = after(reopenedAt, rng.between(0.2, 0.8) * fr);
      respond(againAt);
      if (rng.chance(0.6)) resolveBetween(againAt, 0.1, 0.4);
      break;
    }
    case 'chasing_now': {
      // Submitted about half a first-response window ago; three tries since; level 1 raised a little while ago.
      assign(after(submittedAt, 0.05 * fr), officer);
      const attempts = [0.12, 0.22, 0.33].map((f) => after(submittedAt, f * fr));
      attempts.forEach(attempt);
      if (CHASING_NOW[index] === 'acknowledged') acknowledge(after(attempts[2]!, 0.05 * fr), 1);
      respond(after(attempts[2]!, 0.6 * fr)); // still to come
      break;
    }
    case 'inspection': {
      // Forty or fifty tries (shared/context): calls, emails and portal chases over three weeks, and
      // nobody answers. The third raises level 1 to the team manager; unacknowledged, the timers
      // climb it to the service manager and the head of SEND and re-notify there until the chain
      // runs out. Only then does the head acknowledge, and the case officer phones the family.
      const day = slaSpan(cal, submittedAt, 'P1D');
      const tries = Array.from({ length: INSPECTION_ATTEMPTS }, () => rng.between(0.05, 16) * day).sort((a, b) => a - b);
      for (const workingMs of tries) {
        const how = rng.weighted({ phone: 26, email: 10, portal: 10 });
        const at = after(submittedAt, workingMs);
        const attemptId = nextId('attempt');
        const actor = how === 'portal' ? portal!.actor : how === 'phone' ? TELEPHONY_ACTOR : officer;
        const outcome = how === 'phone' ? rng.pick(['unanswered', 'unanswered', 'voicemail'] as const) : 'no_reply';
        const source = how === 'portal' ? 'portal' : how === 'phone' ? 'telephony' : 'officer';
        step(at, actor, (s) =>
          open(s)
            ? {
                type: 'RecordAttempt',
                requestId,
                attemptId,
                channel: how,
                outcome,
                at: at.toISOString(),
                source,
                escalationId: `esc-${attemptId}`,
              }
            : null,
        );
      }
      const ackAt = after(submittedAt, rng.between(16.2, 16.6) * day);
      step(ackAt, HEAD_OF_SERVICE, (s) =>
        open(s) && s.escalation && s.escalation.status === 'open'
          ? { type: 'AcknowledgeEscalation', requestId, escalationId: s.escalation.id, by: HEAD_OF_SERVICE.id, role: HEAD_OF_SERVICE.role }
          : null,
      );
      const calledAt = after(ackAt, rng.between(0.2, 0.5) * day);
      respond(calledAt, 'phone');
      respond(after(calledAt, rng.between(3, 4) * day), 'meeting');
      break;
    }
    case 'silent': {
      // Fell through the cracks: never picked up. The timers breach, escalate and climb the whole chain.
      attempt(after(frDue, rng.between(0.1, 0.3) * fr));
      break;
    }
  }

  // In triage: the team manager finds the family's case and re-routes it there before anyone works
  // on it; the newest ('fresh') ones are still waiting in the triage queue.
  if (routing.teamId === null) {
    if (story === 'fresh') steps.length = 0;
    else {
      const by = rng.chance(0.6) ? manager : officer;
      const at = after(submittedAt, rng.between(0.005, 0.025) * fr);
      step(at, by, (s) =>
        open(s) && s.teamId === null
          ? { type: 'RouteRequest', requestId, routing: rerouteTo({ case: routable(about) }, (id) => awayAt(id, at)), by: by.id }
          : null,
      );
    }
  }

  const submit: Omit<SubmitRequest, 'reference'> = {
    type: 'SubmitRequest',
    requestId,
    caseRef: requestedCaseRef,
    requester,
    channel,
    category,
    priority,
    subject: text.subject,
    message: text.message,
    routing,
    by: submitter.id,
  };
  steps.sort((a, b) => a.at.getTime() - b.at.getTime());
  return { index, requestId, story, aboutCase: about.caseRef, routing, submittedAt, submitter, submit, steps };
}

const INSPECTION_TEXT = {
  subject: "Nobody has answered us about Alex's EHC plan",
  message:
    "Alex's annual review was weeks ago and we still have no amended plan. The new school term is coming and we do not know " +
    'if the placement is agreed. We have phoned, emailed and messaged here again and again. Please, somebody call us back.',
  outcome: 'Amended plan issued and placement confirmed with the school.',
};

/** When it came in: within the last 8 weeks ('fresh' ones in the last few days), officers entering them in working time. */
function submissionTime(rng: Prng, story: Story, enteredByOfficer: boolean, now: Date, cal: WorkingCalendar): Date {
  const earliest = now.getTime() - DEMO_WEEKS * 7 * 24 * 3600_000;
  if (story === 'fresh') return new Date(now.getTime() - rng.between(2, 96) * 3600_000);
  const daysBack = story === 'silent' ? rng.int(20, 54) : rng.int(1, 54);
  const day = DateTime.fromJSDate(now, { zone: cal.timezone }).startOf('day').minus({ days: daysBack });
  const anyHour = day.set({ hour: rng.int(7, 21), minute: rng.int(0, 59) }).toJSDate();
  let at = enteredByOfficer ? addWorkingTime(cal, day.toJSDate(), `PT${rng.int(15, 450)}M`) : anyHour;
  if (at.getTime() > now.getTime() - 3600_000) at = new Date(at.getTime() - 7 * 24 * 3600_000); // the next working day is still to come
  return new Date(Math.max(at.getTime(), earliest + 3600_000));
}

/** Working ms of an SLA duration (e.g. P3D), measured from `from`. */
const slaSpan = (cal: WorkingCalendar, from: Date, duration: string): number =>
  workingTimeBetween(cal, from, addWorkingTime(cal, from, duration));

/** The latest instant with `workingMs` of working time between it and `now` (bisection: working time has no inverse). */
function workingTimeAgo(cal: WorkingCalendar, now: Date, workingMs: number): Date {
  let lo = now.getTime() - DEMO_WEEKS * 7 * 24 * 3600_000;
  let hi = now.getTime();
  while (hi - lo > 60_000) {
    const mid = Math.floor((lo + hi) / 2);
    if (workingTimeBetween(cal, new Date(mid), now) >= workingMs) lo = mid;
    else hi = mid;
  }
  return new Date(lo);
}
