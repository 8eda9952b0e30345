import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { isSubmitted, replay, streamIdFor, toDomainEvent, type ContactRequestState } from '@send/domain';
import { SqliteEventStore, type RecordedEvent } from '@send/event-store';
import { testRedis } from '@send/event-store/testing/test-redis';
import { defaultPolicy } from '@send/sla';
import { ReferenceNumbers } from '../requests/reference-numbers';
import { DemoDataSeeder } from './demo-data-seeder';
import { demoRequestId, demoRequests, DEMO_REQUEST_COUNT } from './demo-stories';

const DB = 10; // this file's own Redis database: the reference counters (seq:reference:<year>) are global keys
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

const seeder = (now: Date) =>
  new DemoDataSeeder({ store, policy: defaultPolicy, references: new ReferenceNumbers(redis), clock: () => now });

const allEvents = async (): Promise<RecordedEvent[]> => {
  const events: RecordedEvent[] = [];
  for (let i = 0; i < DEMO_REQUEST_COUNT; i++) events.push(...(await store.read(streamIdFor(demoRequestId(i)))));
  return events;
};

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
  it('seeds every demo request once; a second run (even a day later) appends nothing and allocates no reference', async () => {
    const first = await seeder(NOW).seed();
    expect(first).toMatchObject({ total: DEMO_REQUEST_COUNT, seeded: DEMO_REQUEST_COUNT, skipped: 0, failed: 0 });
    const before = await allEvents();
    expect(before).toHaveLength(first.events);
    const counter = await redis.get('seq:reference:2026');

    const again = await seeder(NOW).seed();
    const nextDay = await seeder(new Date(NOW.getTime() + 24 * 3600_000)).seed();
    for (const r of [again, nextDay]) expect(r).toMatchObject({ seeded: 0, skipped: DEMO_REQUEST_COUNT, failed: 0, events: 0 });
    expect((await allEvents()).map((e) => e.id)).toEqual(before.map((e) => e.id));
    expect(await redis.get('seq:reference:2026')).toBe(counter);
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
