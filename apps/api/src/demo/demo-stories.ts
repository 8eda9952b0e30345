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
  SubmitRequest,
} from '@send/domain';
import { addWorkingTime, calendarOf, dueDatesFor, slaFor, workingTimeBetween, type Policy, type WorkingCalendar } from '@send/sla';
import { acknowledgerFor, OFFLINE_REQUESTERS, PORTAL_REQUESTERS, TEAMS, TELEPHONY_ACTOR, type Actor, type TeamId } from './demo-people';
import { REOPEN_REASONS, TEXTS } from './demo-texts';
import { Prng } from './prng';

export const DEMO_SEED = 20_261_128;
export const DEMO_REQUEST_COUNT = 72;
export const DEMO_WEEKS = 8;
const DEMO_NAMESPACE = 'c3a7e0d2-8b4f-4f1e-9d6a-5e2b7c9a1f30';

/** uuid v5 of the index: the same demo request always has the same id (and so the same stream). */
export const demoRequestId = (index: number): string => uuidv5(`demo-request:${index}`, DEMO_NAMESPACE);

export type Story =
  'prompt' | 'awaiting' | 'late' | 'chased' | 'chased_climb' | 'callback' | 'reopened' | 'fresh' | 'silent' | 'chasing_now';
const STORY_WEIGHTS: Record<Exclude<Story, 'chasing_now'>, number> = {
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
  submittedAt: Date;
  submitter: Actor;
  /** The SubmitRequest without its reference, which is allocated when the request is actually seeded. */
  submit: Omit<SubmitRequest, 'reference'>;
  steps: ScriptStep[];
}

/** The whole demo set, in submission order. */
export function demoRequests(now: Date, policy: Policy, count = DEMO_REQUEST_COUNT): DemoRequest[] {
  const cal = calendarOf(policy);
  return Array.from({ length: count }, (_, index) => demoRequest(index, now, policy, cal)).sort(
    (a, b) => a.submittedAt.getTime() - b.submittedAt.getTime() || a.index - b.index,
  );
}

function demoRequest(index: number, now: Date, policy: Policy, cal: WorkingCalendar): DemoRequest {
  const rng = new Prng(DEMO_SEED + index * 7919);
  const drawn = rng.weighted(STORY_WEIGHTS);
  const story: Story = CHASING_NOW[index] ? 'chasing_now' : drawn;
  const category = rng.weighted(CATEGORY_WEIGHTS);
  const priority: Priority = rng.chance(URGENT_CHANCE[category]) ? 'urgent' : 'normal';
  const text = rng.pick(TEXTS[category]);
  const team: TeamId = rng.chance(0.65) || story === 'chasing_now' ? 'north' : 'south';
  const officer = rng.pick(TEAMS[team].officers);
  const manager = TEAMS[team].manager;

  // Who asked, and how it reached the service.
  const portal = rng.chance(0.55) ? rng.pick(PORTAL_REQUESTERS) : null;
  const offline = rng.pick(OFFLINE_REQUESTERS);
  const requester: Requester = portal ? portal.requester : offline;
  const channel: Channel = portal
    ? rng.chance(0.85)
      ? 'portal'
      : 'email'
    : offline.role === 'mp'
      ? 'mp'
      : rng.weighted({ phone: 45, email: 35, letter: 10, in_person: 10 });
  // Portal requests come in at any hour; the rest are entered by an officer in working time.
  const submitter = portal && channel === 'portal' ? portal.actor : officer;
  const caseRef = rng.chance(0.8) ? `C${100000 + rng.int(0, 89999)}` : '';

  const submittedAt =
    story === 'chasing_now'
      ? workingTimeAgo(cal, now, rng.between(0.45, 0.5) * slaSpan(cal, now, slaFor(policy, { category, priority }).firstResponse))
      : submissionTime(rng, story, submitter === officer, now, cal);
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
    const byPortal = portal !== null && rng.chance(0.7);
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
    case 'silent': {
      // Fell through the cracks: never picked up. The timers breach, escalate and climb the whole chain.
      attempt(after(frDue, rng.between(0.1, 0.3) * fr));
      break;
    }
  }

  const submit: Omit<SubmitRequest, 'reference'> = {
    type: 'SubmitRequest',
    requestId,
    caseRef,
    requester,
    channel,
    category,
    priority,
    subject: text.subject,
    message: text.message,
  };
  steps.sort((a, b) => a.at.getTime() - b.at.getTime());
  return { index, requestId, story, submittedAt, submitter, submit, steps };
}

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
