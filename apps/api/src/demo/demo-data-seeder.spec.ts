import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import {
  caseStreamId,
  isSubmitted,
  replay,
  ROUTING_RULES,
  streamIdFor,
  toDomainEvent,
  userIdFor,
  userStreamId,
  type ContactRequestState,
} from '@send/domain';
import { SqliteEventStore, type RecordedEvent } from '@send/event-store';
import type { Clock } from '@send/platform';
import { AlertsRepository, allProjections, PROJECTIONS_NAME, Projector, SlaDashboardService } from '@send/read-models';
import { projectAll, registerUser } from '@send/read-models/testing/read-model-fixtures';
import { testRedis } from '@send/event-store/testing/test-redis';
import { defaultPolicy } from '@send/sla';
import { CaseCommands } from '../cases/case-commands';
import { demoCases } from '../cases/demo-cases';
import { ReferenceNumbers, referenceStreamFor } from '../requests/reference-numbers';
import { DemoDataSeeder } from './demo-data-seeder';
import { allDemoCases, casesOf } from './demo-families';
import { demoRequestId, demoRequests, DEMO_REQUEST_COUNT, INSPECTION_ATTEMPTS, INSPECTION_CASE, INSPECTION_INDEX } from './demo-stories';

const DB = 10; // this file's own Redis database
const NOW = new Date('2026-11-27T15:30:00.000Z'); // a Friday afternoon
const EIGHT_WEEKS = 56 * 24 * 3600_000;

let dir: string;
let store: SqliteEventStore;
let redis: Redis;
let stopRedis: () => Promise<void>;

beforeAll(async () => {
  const server = await testRedis();
  stopRedis = server.stop;
  redis = new Redis(server.url, { db: DB, maxRetriesPerRequest: 3 });
  await redis.flushdb();
});

afterAll(async () => {
  await redis.flushdb().catch(() => undefined);
  await redis.quit();
  await stopRedis();
});

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'demo-data-'));
  store = new SqliteEventStore({ path: join(dir, 'events.db') });
});

afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

// The api's own case command path, on this test's store and clock.
const seeder = (now: Date) =>
  new DemoDataSeeder({
    store,
    policy: defaultPolicy,
    references: new ReferenceNumbers(store),
    cases: new CaseCommands(store, { COMMAND_CACHE_STREAMS: 0 }, { now: () => now } as Clock),
    clock: () => now,
  });

const allEvents = async (): Promise<RecordedEvent[]> => {
  const events: RecordedEvent[] = [];
  for (let i = 0; i < DEMO_REQUEST_COUNT; i++) events.push(...(await store.read(streamIdFor(demoRequestId(i)))));
  return events;
};

const caseEvents = async (): Promise<RecordedEvent[]> => {
  const events: RecordedEvent[] = [];
  for (const c of allDemoCases()) events.push(...(await store.read(caseStreamId(c.caseRef))));
  return events;
};

const eventsOf = async (index: number) => store.read(streamIdFor(demoRequestId(index)));

const finalStates = async (): Promise<ContactRequestState[]> => {
  const states: ContactRequestState[] = [];
  for (let i = 0; i < DEMO_REQUEST_COUNT; i++) {
    const events = (await store.read(streamIdFor(demoRequestId(i)))).map(toDomainEvent);
    if (events.includes(null)) throw new Error(`demo request ${i} holds an event the domain does not know`);
    const state = replay(events.filter((e) => e !== null));
    if (!isSubmitted(state)) throw new Error(`demo request ${i} has no submission`);
    states.push(state);
  }
  return states;
};

const countBy = <T>(items: T[], key: (t: T) => string) =>
  items.reduce<Record<string, number>>((acc, t) => ({ ...acc, [key(t)]: (acc[key(t)] ?? 0) + 1 }), {});

describe('DemoDataSeeder', () => {
  it('seeds every demo request and case once; a second run (even a day later) appends nothing and allocates no reference', async () => {
    const started = Date.now();
    const first = await seeder(NOW).seed();
    const took = Date.now() - started;
    expect(first).toMatchObject({
      casesWritten: allDemoCases().length,
      total: DEMO_REQUEST_COUNT,
      seeded: DEMO_REQUEST_COUNT,
      skipped: 0,
      failed: 0,
    });
    expect(took).toBeLessThan(20_000); // ~1-2 s on a laptop; generous for 2 shared CI cores
    const before = await allEvents();
    expect(before).toHaveLength(first.events);
    const casesBefore = await caseEvents();
    const reserved = await store.read(referenceStreamFor(2026));
    expect(reserved.length).toBeGreaterThan(0);

    const again = await seeder(NOW).seed();
    const nextDay = await seeder(new Date(NOW.getTime() + 24 * 3600_000)).seed();
    for (const r of [again, nextDay])
      expect(r).toMatchObject({ casesWritten: 0, seeded: 0, skipped: DEMO_REQUEST_COUNT, failed: 0, events: 0 });
    expect((await allEvents()).map((e) => e.id)).toEqual(before.map((e) => e.id));
    expect((await caseEvents()).map((e) => e.id)).toEqual(casesBefore.map((e) => e.id));
    expect(await store.read(referenceStreamFor(2026))).toEqual(reserved); // no reference taken by a seeding that adds nothing
  });

  it("keeps API.md's three demo cases as they are, and adds the offline families' cases with E.164 phones", async () => {
    await seeder(NOW).seed();
    const opened = (await caseEvents()).filter((e) => e.type === 'CaseOpened').map((e) => (e.data as { caseRef: string }).caseRef);
    expect(opened).toEqual(allDemoCases().map((c) => c.caseRef));
    expect(allDemoCases().slice(0, 3)).toEqual(demoCases());
    expect(demoCases().map((c) => [c.caseRef, c.childName, c.teamId, c.caseOfficerId])).toEqual([
      ['C-1001', 'Sam', 'north', userIdFor('officer@example.org')],
      ['C-1002', 'Jordan', 'north', userIdFor('officer2@example.org')],
      ['C-2001', 'Alex', 'south', userIdFor('officer3@example.org')],
    ]);
    const phones = allDemoCases().flatMap((c) => (c.contacts ?? []).flatMap((k) => (k.phone ? [k.phone] : [])));
    expect(phones).toEqual(expect.arrayContaining(['+447700900101', '+447700900202', '+447700900123', '+447700900456', '+447700900789']));
    for (const p of phones) expect(p).toMatch(/^\+447700900\d{3}$/);
  });

  it('routes every request at submission as the live submission does, and families keep their case across requests', async () => {
    await seeder(NOW).seed();
    const plans = demoRequests(NOW, defaultPolicy);
    const cases = allDemoCases();
    const triageAtSubmission: string[] = [];
    let stillInTriage = 0;
    for (const plan of plans) {
      const events = await eventsOf(plan.index);
      // One append at submission: submitted, routed, and assigned to the case officer.
      expect(events[0]!.type).toBe('ContactRequestSubmitted');
      expect(events[1]!.type).toBe('RequestRouted');
      expect(events.filter((e) => e.type === 'RequestRouted' && (e.data as { rule: string }).rule !== 'rerouted')).toHaveLength(1);
      const routed = events[1]!.data as {
        rule: string;
        caseRef: string | null;
        teamId: string | null;
        officerId: string | null;
        by: string;
        at: string;
      };
      expect(ROUTING_RULES).toContain(routed.rule);
      expect(routed.by).toBe(plan.submitter.id);
      expect(routed.at).toBe((events[0]!.data as { submittedAt: string }).submittedAt);
      expect(events[1]!.metadata.actor?.id).toBe(plan.submitter.id);
      const about = cases.find((c) => c.caseRef === plan.aboutCase)!;
      if (routed.teamId !== null) {
        expect(routed).toMatchObject({ caseRef: about.caseRef, teamId: about.teamId, officerId: about.caseOfficerId });
        expect(events[2]!).toMatchObject({ type: 'RequestAssigned', data: { officerId: about.caseOfficerId, teamId: about.teamId } });
      } else {
        triageAtSubmission.push(routed.rule);
      }

      const state = replay(events.map(toDomainEvent).filter((e) => e !== null)) as ContactRequestState;
      if (state.teamId === null) {
        // Still in triage: only a new request nobody has looked at yet.
        expect(plan.story).toBe('fresh');
        expect(state.caseRef).toBe('');
        stillInTriage++;
        continue;
      }
      // On the family's case, in its team: the case a requester is linked to (an MP names their constituent's).
      expect(state).toMatchObject({ caseRef: about.caseRef, teamId: about.teamId });
      if (state.requester.role !== 'mp') expect((about.contacts ?? []).map((k) => k.name)).toContain(state.requester.name);
      // Routing finds them by their account or email, as the cases read model does (a phone-only caller must say the number).
      if (state.requester.userId || state.requester.email)
        if (state.requester.role !== 'mp') expect(casesOf(cases, state.requester).map((c) => c.caseRef)).toContain(about.caseRef);
    }
    // Realistic triage: a caller who gave no number, a SENCo with several pupils, a mistyped number.
    expect(triageAtSubmission.length).toBeGreaterThanOrEqual(3);
    expect(triageAtSubmission.length).toBeLessThan(plans.length / 4);
    expect(stillInTriage).toBeGreaterThanOrEqual(1);
    const rerouted = (await allEvents()).filter((e) => e.type === 'RequestRouted' && (e.data as { rule: string }).rule === 'rerouted');
    expect(rerouted.length).toBeGreaterThanOrEqual(2);

    // The same family, the same case, request after request.
    const states = await finalStates();
    const caseOf = (email: string) => [...new Set(states.filter((s) => s.requester.email === email).map((s) => s.caseRef))].filter(Boolean);
    expect(caseOf('parent@example.org')).toEqual(['C-1001']);
    expect(caseOf('parent2@example.org')).toEqual(['C-2001']);
    expect(caseOf('senco@example.org').sort()).toEqual(expect.arrayContaining(['C-1001']));
    expect(states.filter((s) => s.caseRef === 'C-1001').length).toBeGreaterThanOrEqual(5);
    expect(new Set(states.map((s) => s.caseRef).filter(Boolean)).size).toBe(allDemoCases().length);
  });

  it("tells the inspection's story: one request tried 40+ times by phone, email and portal before anyone answered, the chain climbing by the timers", async () => {
    await seeder(NOW).seed();
    const events = await eventsOf(INSPECTION_INDEX);
    const state = replay(events.map(toDomainEvent).filter((e) => e !== null)) as ContactRequestState;
    expect(state).toMatchObject({ caseRef: INSPECTION_CASE, teamId: 'south', requester: { email: 'parent2@example.org' } });
    expect(state.assignee?.officerId).toBe(userIdFor('officer3@example.org'));

    // 40+ tries over weeks, every one before the first answer.
    const firstAnswer = Date.parse(state.firstRespondedAt!);
    const attempts = events.filter((e) => e.type === 'ContactAttemptRecorded').map((e) => e.data as { at: string; channel: string });
    const tries = attempts.map((a) => Date.parse(a.at));
    expect(attempts).toHaveLength(INSPECTION_ATTEMPTS);
    expect(state.attemptCount).toBe(INSPECTION_ATTEMPTS);
    expect(INSPECTION_ATTEMPTS).toBeGreaterThanOrEqual(40);
    expect(Math.max(...tries)).toBeLessThan(firstAnswer);
    expect(Math.max(...tries) - Math.min(...tries)).toBeGreaterThan(14 * 24 * 3600_000);
    expect(new Set(attempts.map((a) => a.channel))).toEqual(new Set(['phone', 'email', 'portal']));
    expect(events.filter((e) => e.type === 'ContactAttemptRecorded' && e.metadata.actor?.id === 'system:telephony').length).toBeGreaterThan(
      15,
    );
    expect(state.breaches.map((b) => b.clock)).toContain('first_response');

    // Level 1 to the team manager on the third try; the timers climb it when nobody acknowledges.
    const raised = events.find((e) => e.type === 'EscalationRaised')!.data as {
      level: number;
      notifyRole: string;
      reason: string;
      raisedAt: string;
      ackDueAt: string;
    };
    expect(raised).toMatchObject({ level: 1, notifyRole: 'team_manager', reason: 'repeated_unanswered' });
    expect(raised.raisedAt).toBe(attempts[2]!.at);
    const climbs = events.filter((e) => e.type === 'EscalationAdvanced');
    expect(climbs.map((e) => [(e.data as { toLevel: number }).toLevel, (e.data as { notifyRole: string }).notifyRole])).toEqual([
      [2, 'service_manager'],
      [3, 'head_of_service'],
    ]);
    expect((climbs[0]!.data as { at: string }).at).toBe(raised.ackDueAt); // fired at the ack deadline, as the worker would
    for (const e of climbs) expect(e.metadata.actor?.id).toBe('system:timers');
    expect(events.filter((e) => e.type === 'EscalationRenotified').length).toBeGreaterThanOrEqual(1);
    const acked = events.find((e) => e.type === 'EscalationAcknowledged')!;
    expect(acked.data).toMatchObject({ level: 3, by: userIdFor('head@example.org') });
    expect(Date.parse((acked.data as { at: string }).at)).toBeLessThan(firstAnswer);
    expect(state.escalation).toMatchObject({ level: 3, status: 'resolved', unansweredCount: expect.any(Number) });
    expect(state.escalation!.unansweredCount).toBeGreaterThanOrEqual(40);
    // The family's answer: the case officer's phone call resolves the escalation.
    const answer = events.findIndex((e) => e.type === 'OfficerResponded');
    expect(events[answer + 1]?.type).toBe('EscalationResolved');
    // Just before it, what the dashboard as of then counts: 40+ unanswered tries on one request, at level 3.
    const before = replay(
      events
        .slice(0, answer)
        .map(toDomainEvent)
        .filter((e) => e !== null),
    ) as ContactRequestState;
    expect(before.unansweredCount).toBe(INSPECTION_ATTEMPTS);
    expect(Date.parse(before.firstUnansweredAt!)).toBe(Math.min(...tries));
    expect(before.escalation).toMatchObject({ level: 3, status: 'acknowledged' });
  });

  it("an officer's past leave: requests routed to them meanwhile needed cover and the team covered them; recorded once", async () => {
    const officer2 = userIdFor('officer2@example.org');
    await registerUser(store, { id: officer2, name: 'Officer Two', role: 'officer', teamId: 'north', email: 'officer2@example.org' });
    await seeder(NOW).seed();
    const account = await store.read(userStreamId(officer2));
    const set = account.filter((e) => e.type === 'OfficerAvailabilitySet');
    expect(set).toHaveLength(1);
    expect(set[0]!.metadata.actor).toEqual({ id: userIdFor('manager@example.org'), role: 'team_manager' });
    const { awayFrom, awayUntil } = set[0]!.data as { awayFrom: string; awayUntil: string };
    expect(Date.parse(awayUntil)).toBeLessThan(NOW.getTime()); // over: not away now

    let covered = 0;
    for (let i = 0; i < DEMO_REQUEST_COUNT; i++) {
      const events = await eventsOf(i);
      const routed = events[1]!.data as {
        needsCover: boolean;
        officerId: string | null;
        teamId: string | null;
        caseRef: string | null;
        at: string;
      };
      if (!routed.needsCover) continue;
      covered++;
      expect(routed).toMatchObject({ teamId: 'north', officerId: null, caseRef: expect.stringMatching(/^C-100[24]$/) }); // officer2@'s cases
      expect(Date.parse(routed.at)).toBeGreaterThanOrEqual(Date.parse(awayFrom));
      expect(Date.parse(routed.at)).toBeLessThan(Date.parse(awayUntil));
      // Nobody assigned at submission (it waited in the team queue); officer@ took it later, if anyone has.
      const taken = events.find((e) => e.type === 'RequestAssigned');
      if (taken) {
        expect(Date.parse((taken.data as { at: string }).at)).toBeGreaterThan(Date.parse(routed.at));
        expect((taken.data as { officerId: string }).officerId).toBe(userIdFor('officer@example.org'));
      }
    }
    expect(covered).toBeGreaterThanOrEqual(1);

    await seeder(NOW).seed();
    await seeder(new Date(NOW.getTime() + 24 * 3600_000)).seed();
    expect((await store.read(userStreamId(officer2))).map((e) => e.id)).toEqual(account.map((e) => e.id));
  });

  it("projects as live data does: each team manager's alerts are their team's, and the dashboard by team shows the inspection's request", async () => {
    await redis.flushdb(); // this test reads the projected read models, so none of an earlier test's may remain
    await seeder(NOW).seed();
    await projectAll(store, new Projector(PROJECTIONS_NAME, redis, allProjections()));

    const alerts = new AlertsRepository(redis);
    const north = await alerts.forUser({ role: 'team_manager', teamId: 'north' });
    const south = await alerts.forUser({ role: 'team_manager', teamId: 'south' });
    expect(north.filter((a) => a.level === 1).length).toBeGreaterThanOrEqual(2); // manager@'s live level-1 alerts
    for (const a of north) expect(a.teamId).toBe('north');
    for (const a of south) expect(a.teamId).toBe('south');
    const inspection = demoRequestId(INSPECTION_INDEX);
    expect(north.some((a) => a.requestId === inspection)).toBe(false); // south's family, not manager@'s

    const dashboards = new SlaDashboardService({ store, redis, policy: defaultPolicy, clock: () => NOW });
    const southNow = await dashboards.live({ teamId: 'south' });
    expect(southNow.escalations.byLevel['3']).toBeGreaterThanOrEqual(1);
    expect(southNow.total).toBe((await finalStates()).filter((s) => s.teamId === 'south').length);
    // As of the day before the family's answer: their 46 unanswered tries on one request, at level 3.
    const answeredAt = Date.parse((await finalStates()).find((s) => s.requestId === inspection)!.firstRespondedAt!);
    const before = await dashboards.asOf(new Date(answeredAt - 24 * 3600_000), { teamId: 'south' });
    expect(before.unanswered.attempts).toBeGreaterThanOrEqual(INSPECTION_ATTEMPTS);
    expect(before.escalations.byLevel['3']).toBeGreaterThanOrEqual(1);
    const northBefore = await dashboards.asOf(new Date(answeredAt - 24 * 3600_000), { teamId: 'north' });
    expect(northBefore.unanswered.attempts).toBeLessThan(INSPECTION_ATTEMPTS);
  });

  it('tells the same stories on any store: same requests, same events, same instants', async () => {
    await seeder(NOW).seed();
    const one = (await allEvents()).map((e) => [e.id, e.type, JSON.stringify(e.data).replace(/SEND-\d{4}-\d{6}/, 'REF')]);
    await store.close();
    rmSync(dir, { recursive: true, force: true });
    dir = mkdtempSync(join(tmpdir(), 'demo-data-'));
    store = new SqliteEventStore({ path: join(dir, 'events.db') });
    await seeder(NOW).seed();
    const two = (await allEvents()).map((e) => [e.id, e.type, JSON.stringify(e.data).replace(/SEND-\d{4}-\d{6}/, 'REF')]);
    expect(two).toEqual(one);
  });

  it('looks like a real service: varied categories, requesters, channels, priorities and outcomes', async () => {
    await seeder(NOW).seed();
    const states = await finalStates();
    const categories = countBy(states, (s) => s.category);
    expect(Object.keys(categories).sort()).toEqual([
      'annual_review',
      'complaint',
      'ehc_assessment',
      'ehc_plan',
      'general',
      'placement',
      'transport',
    ]);
    expect(Object.keys(countBy(states, (s) => s.requester.role)).length).toBeGreaterThanOrEqual(4);
    expect(Object.keys(countBy(states, (s) => s.channel)).length).toBeGreaterThanOrEqual(4);
    expect(states.filter((s) => s.priority === 'urgent').length).toBeGreaterThanOrEqual(3);
    expect(states.filter((s) => s.requester.userId === undefined).length).toBeGreaterThanOrEqual(10); // staff-entered

    const statuses = countBy(states, (s) => s.status);
    expect(statuses.resolved).toBeGreaterThanOrEqual(25);
    expect((statuses.open ?? 0) + (statuses.assigned ?? 0) + (statuses.responded ?? 0)).toBeGreaterThanOrEqual(10);
    const firstResponseBreached = states.filter((s) => s.breaches.some((b) => b.clock === 'first_response'));
    expect(firstResponseBreached.length).toBeGreaterThanOrEqual(8);
    expect(firstResponseBreached.length).toBeLessThan(states.length / 2); // most are answered in time
    expect(states.filter((s) => s.breaches.some((b) => b.clock === 'resolution')).length).toBeGreaterThanOrEqual(3);
    const escalated = states.filter((s) => s.escalation !== null);
    expect(escalated.length).toBeGreaterThanOrEqual(10);
    expect(escalated.filter((s) => s.escalation!.reason === 'repeated_unanswered').length).toBeGreaterThanOrEqual(3);
    expect(escalated.filter((s) => s.escalation!.reason === 'sla_breached').length).toBeGreaterThanOrEqual(3);
    expect(
      escalated.filter((s) => s.escalation!.acknowledgedAt !== null || s.escalation!.status === 'acknowledged').length,
    ).toBeGreaterThanOrEqual(3);
    expect(escalated.filter((s) => s.escalation!.level >= 2).length).toBeGreaterThanOrEqual(3);
    expect(escalated.filter((s) => s.escalation!.status !== 'resolved').length).toBeGreaterThanOrEqual(1); // live alerts
    expect(states.filter((s) => s.period > 0).length).toBeGreaterThanOrEqual(2); // reopened
    expect(states.filter((s) => s.failedCallBacks > 0).length).toBeGreaterThanOrEqual(1);
    const assignees = countBy(
      states.filter((s) => s.assignee),
      (s) => `${s.assignee!.teamId}:${s.assignee!.officerId}`,
    );
    expect(Object.keys(assignees)).toHaveLength(3);
  });

  it('every stream replays through the domain, and every instant lies in the 8 weeks before now', async () => {
    await seeder(NOW).seed();
    const events = await allEvents();
    const instants: number[] = [];
    for (const e of events) {
      const d = e.data as Record<string, unknown>;
      for (const field of ['submittedAt', 'at', 'breachedAt', 'raisedAt'])
        if (typeof d[field] === 'string') instants.push(Date.parse(d[field] as string));
    }
    expect(instants.length).toBeGreaterThan(events.length / 2);
    expect(Math.max(...instants)).toBeLessThan(NOW.getTime());
    expect(Math.min(...instants)).toBeGreaterThanOrEqual(NOW.getTime() - EIGHT_WEEKS);
    await expect(finalStates()).resolves.toHaveLength(DEMO_REQUEST_COUNT);
    // Timer commands carry the worker's actor; people's commands the demo user who did it.
    const byActor = (type: string) =>
      countBy(
        events.filter((e) => e.type === type),
        (e) => e.metadata.actor?.role ?? 'none',
      );
    expect(byActor('EscalationAdvanced')).toEqual({ system: expect.any(Number) });
    expect(byActor('SlaBreached').system).toBeGreaterThan(0);
    expect(Object.keys(byActor('OfficerResponded'))).toEqual(['officer']);
    expect(Object.keys(byActor('EscalationAcknowledged')).sort()).toEqual(expect.arrayContaining(['service_manager', 'team_manager']));
    expect(events.filter((e) => e.type === 'ContactRequestSubmitted').every((e) => typeof e.metadata.actor?.id === 'string')).toBe(true);
  });

  it('leaves only future timers: what the worker schedules afterwards is still to come', async () => {
    const { nextTimers } = await import('@send/domain');
    await seeder(NOW).seed();
    for (const state of await finalStates())
      for (const t of nextTimers(state)) expect(Date.parse(t.at)).toBeGreaterThanOrEqual(NOW.getTime());
  });

  it.each([
    ['a Monday before opening', '2026-11-30T07:45:00.000Z'],
    ['a Saturday', '2026-11-28T12:00:00.000Z'],
    ['the first working day after Christmas', '2026-12-29T10:00:00.000Z'],
  ])('on %s: seeds without failures, all in the past, and team north has live level-1 alerts', async (_, iso) => {
    const now = new Date(iso);
    expect(await seeder(now).seed()).toMatchObject({ seeded: DEMO_REQUEST_COUNT, failed: 0 });
    const states = await finalStates();
    expect(Math.max(...states.map((s) => Date.parse(s.submittedAt)))).toBeLessThan(now.getTime());
    expect(Math.min(...states.map((s) => Date.parse(s.submittedAt)))).toBeGreaterThanOrEqual(now.getTime() - EIGHT_WEEKS);
    const northAlerts = states.filter(
      (s) => s.assignee?.teamId === 'north' && s.escalation && s.escalation.status !== 'resolved' && s.escalation.level === 1,
    );
    expect(northAlerts.length).toBeGreaterThanOrEqual(2);
    expect(northAlerts.some((s) => s.escalation!.status === 'acknowledged')).toBe(true);
    expect(states.filter((s) => s.status === 'resolved').length).toBeGreaterThanOrEqual(25);
    // Whatever the day: every request routed at submission, and the inspection's family's whole story told.
    for (let i = 0; i < DEMO_REQUEST_COUNT; i++) expect((await eventsOf(i))[1]?.type).toBe('RequestRouted');
    const inspection = states.find((s) => s.requestId === demoRequestId(INSPECTION_INDEX))!;
    expect(inspection.attemptCount).toBe(INSPECTION_ATTEMPTS);
    expect(inspection.escalation).toMatchObject({ level: 3, status: 'resolved' });
  });

  it('plans are independent of the day it runs: the same stories, shifted in time', () => {
    const a = demoRequests(NOW, defaultPolicy).map((r) => [r.index, r.story, r.submit.category, r.submit.requester.name]);
    const b = demoRequests(new Date('2027-03-01T10:00:00Z'), defaultPolicy).map((r) => [
      r.index,
      r.story,
      r.submit.category,
      r.submit.requester.name,
    ]);
    const byIndex = (rows: unknown[][]) => [...rows].sort((x, y) => (x[0] as number) - (y[0] as number));
    expect(byIndex(b)).toEqual(byIndex(a));
  });
});
