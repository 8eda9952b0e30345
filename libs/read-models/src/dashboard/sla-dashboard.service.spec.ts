import type Redis from 'ioredis';
import { v4 as uuid } from 'uuid';
import { fastPolicy } from '@send/domain/testing/fixtures';
import type { SqliteEventStore } from '@send/event-store';
import { allProjections } from '../all-projections';
import { PROJECTIONS_NAME } from '../keys';
import { Projector } from '../projector';
import { projectAll, registerUser, RequestDriver, until, readModelTestHooks } from '../testing/read-model-fixtures';
import { join } from 'node:path';
import { LiveDashboardThread } from './live-dashboard-thread';
import { SlaDashboardService } from './sla-dashboard.service';

const DB = 12; // this file's own Redis database

let redis: Redis;
let store: SqliteEventStore;
readModelTestHooks(DB, (w) => ({ redis, store } = w));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Decisions an hour ago onwards (fastPolicy: first response due after 100 s), all recorded now:
 * like imported history or demo data, the events' own times are what "as of" goes by. a is
 * answered in time; b is escalated; c is the south team's.
 */
async function threeRequests(): Promise<RequestDriver> {
  const drive = new RequestDriver(store, new Date(Date.now() - 3_600_000).toISOString());
  await registerUser(store, { id: 'officer-1', name: 'Olu Officer', role: 'officer', teamId: 'north' });
  const [a, b, c] = [uuid(), uuid(), uuid()];
  await drive.at(0).submit(a, { teamId: 'north' }, 1);
  await drive.at(0).submit(b, { teamId: 'north' }, 2);
  await drive.at(10).assign(a, 'officer-1');
  await drive.at(50).respond(a);
  await drive.at(60).submit(c, { teamId: 'south' }, 3);
  await drive.at(70).escalate(b);
  await projectAll(store, new Projector(PROJECTIONS_NAME, redis, allProjections()));
  return drive;
}

describe('SlaDashboardService', () => {
  it('as of now equals live; as of a past date replays only what had happened by then (by each event’s own time)', async () => {
    const drive = await threeRequests();

    const now = new Date(Date.now() + 1000);
    const service = new SlaDashboardService({ store, redis, policy: fastPolicy, clock: () => now });
    const live = await service.live();
    expect(live).toMatchObject({ total: 3, escalations: { open: 1 }, firstResponse: { total: 3, withinSla: 1 } }); // b and c unanswered past due
    expect(await service.asOf(now)).toEqual(live);
    expect(await service.asOf(now, { teamId: 'north' })).toEqual(await service.live({ teamId: 'north' }));

    const past = drive.at(30).now; // a and b submitted, a assigned; nothing answered, nothing due yet
    const then = await service.asOf(past);
    expect(then).toMatchObject({
      asOf: past.toISOString(),
      total: 2,
      open: 2,
      overdue: 0,
      escalations: { open: 0, total: 0 },
      unanswered: { attempts: 0 },
    });
    // Nothing due yet; both still waiting, counted at their age (30 s) and marked censored.
    expect(then.firstResponse).toMatchObject({ total: 0, withinSla: 0, notYetDue: 2, measured: 2, censored: 2, p50LowerBound: true });
    expect(then.byOfficer).toEqual([expect.objectContaining({ officerId: 'officer-1', name: 'Olu Officer', total: 1 })]);

    const later = await service.asOf(drive.at(200).now); // a answered in time, b and c overdue, b escalated
    expect(later).toMatchObject({ total: 3, escalations: { open: 1 }, firstResponse: { total: 3, withinSla: 1 } });
  });

  it('computes the live dashboard in a thread as on the event loop, and as of now by replay', async () => {
    const drive = await threeRequests();

    const { host, port, db } = redis.options;
    const thread = new LiveDashboardThread(join(__dirname, '../testing/live-dashboard-thread-entry.js'), {
      workerData: { host, port, db },
    });
    try {
      const now = new Date(Date.now() + 1000);
      const threaded = new SlaDashboardService({ store, redis, policy: fastPolicy, clock: () => now, liveThread: thread });
      const inProcess = new SlaDashboardService({ store, redis, policy: fastPolicy, clock: () => now });
      const live = await threaded.live();
      expect(live).toMatchObject({ total: 3, escalations: { open: 1 }, firstResponse: { total: 3, withinSla: 1 } });
      expect(live).toEqual(await inProcess.live());
      expect(live).toEqual(await inProcess.asOf(now));
      // Filters and dates cross to the thread: a Date `from` is the same query as its ISO string.
      const query = { teamId: 'north', from: drive.at(0).now };
      const filtered = await threaded.live(query);
      expect(filtered).toMatchObject({ total: 2, from: drive.at(0).now.toISOString(), teamId: 'north' });
      expect(filtered).toEqual(await inProcess.asOf(now, query));
      // A thread that died fails what it was asked; the next ask starts another.
      await thread.close();
      expect(await threaded.live({ teamId: 'south' })).toEqual(await inProcess.live({ teamId: 'south' }));
    } finally {
      await thread.close();
    }
  });

  it('keeps each escalation level and its acknowledgement through projection and replay alike; breaches stay with their owner', async () => {
    const drive = new RequestDriver(store, new Date(Date.now() - 3_600_000).toISOString());
    await registerUser(store, { id: 'officer-1', name: 'Olu Officer', role: 'officer', teamId: 'north' });
    await registerUser(store, { id: 'officer-2', name: 'Tess Officer', role: 'officer', teamId: 'south' });
    const a = uuid();
    await drive.at(0).submit(a, {}, 1);
    await drive.at(1).assign(a, 'officer-1', 'north');
    await drive.at(2).attempt(a);
    await drive.at(3).attempt(a);
    const escalationId = (await drive.at(4).attempt(a)).find((e) => e.type === 'EscalationRaised')!.data as { escalationId: string };
    await drive.at(9).acknowledge(a, escalationId.escalationId); // level 1 acknowledged after 5 s
    await drive.at(40).advance(a, escalationId.escalationId, 1); // no response within 20 s of it: level 2
    await drive.at(101).checkDeadline(a, 'first_response'); // officer-1 of north owns it when the clock runs out
    await drive.at(120).assign(a, 'officer-2', 'south');
    await projectAll(store, new Projector(PROJECTIONS_NAME, redis, allProjections()));

    const now = drive.at(130).now;
    const service = new SlaDashboardService({ store, redis, policy: fastPolicy, clock: () => now });
    const live = await service.live();
    expect(await service.asOf(now)).toEqual(live);
    expect(live.escalations).toMatchObject({ total: 1, open: 1, byLevel: { '2': 1 }, reachedLevel: { '1': 1, '2': 1 } });
    expect(live.escalations.acknowledgeByLevel).toMatchObject({
      '1': { acknowledged: 1, censored: 0, p50LowerBound: false },
      '2': { acknowledged: 0, censored: 1, p50LowerBound: true }, // waiting 90 s at level 2
    });
    expect(live.attemptsPerRequest).toEqual({ total: 3, max: 3, p90: 3, tenOrMore: 0 });
    expect(live.byOfficer.map((o) => [o.officerId, o.name, o.total, o.breached])).toEqual([
      ['officer-1', 'Olu Officer', 0, 1],
      ['officer-2', 'Tess Officer', 1, 0],
    ]);
  });

  it('live with a max age: one computation serves every caller within it; then the stale one answers at once while the next is computed', async () => {
    const drive = new RequestDriver(store);
    await drive.submit(uuid(), { teamId: 'north' }, 1);
    const projector = new Projector(PROJECTIONS_NAME, redis, allProjections());
    await projectAll(store, projector);
    let now = new Date(drive.at(10).now);
    const service = new SlaDashboardService({ store, redis, policy: fastPolicy, clock: () => now, liveMaxAgeMs: 2000 });
    const reads = jest.spyOn(redis, 'zrange');

    const [first, same] = await Promise.all([service.live(), service.live()]);
    expect(same).toBe(first); // computed once for both
    expect(reads).toHaveBeenCalledTimes(1);
    expect(first).toMatchObject({ total: 1, asOf: now.toISOString() });

    await drive.submit(uuid(), { teamId: 'north' }, 2);
    await projectAll(store, projector);
    now = new Date(now.getTime() + 1999);
    expect(await service.live()).toBe(first); // within the max age
    expect(reads).toHaveBeenCalledTimes(1);

    now = new Date(now.getTime() + 2); // past it: the stale answer comes at once, the next is on its way
    expect(await service.live()).toBe(first);
    await until(() => reads.mock.calls.length === 2);
    const fresh = await (async () => {
      for (;;) {
        const d = await service.live();
        if (d !== first) return d;
        await sleep(5);
      }
    })();
    expect(fresh).toMatchObject({ total: 2, asOf: now.toISOString() });
    expect(await service.live({ teamId: 'south' })).toMatchObject({ total: 0 }); // another query, its own computation
    reads.mockRestore();
  });

  it('live with a max age shorter than a computation: the next starts only after as long idle as the last one ran', async () => {
    const computed: Date[] = [];
    const slow = {
      compute: async (_query: object, now: Date) => {
        computed.push(now);
        await sleep(1000); // a computation (in its thread) that takes longer than the max age
        return { asOf: now.toISOString(), byOfficer: [] } as never;
      },
    };
    const service = new SlaDashboardService({ store, redis, policy: fastPolicy, liveMaxAgeMs: 50, liveThread: slow });
    const first = await service.live();
    await sleep(200); // past the max age, within twice the 1 s it took: still the figures to answer
    expect(await service.live()).toBe(first);
    expect(computed).toHaveLength(1);
    await sleep(1000); // past twice what it took (not thrice): the stale figures at once, the next computation on its way
    expect(await service.live()).toBe(first);
    expect(computed).toHaveLength(2);
  });

  it('as of a date before the first event is empty', async () => {
    const drive = new RequestDriver(store);
    const before = new Date(drive.at(0).now.getTime() - 1000);
    await drive.submit(uuid());
    const d = await new SlaDashboardService({ store, redis, policy: fastPolicy }).asOf(before);
    expect(d).toMatchObject({ total: 0, open: 0, byWeek: [] });
  });
});
