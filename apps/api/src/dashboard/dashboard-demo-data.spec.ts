import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { REQUEST_STREAM_PREFIX, toDomainEvent } from '@send/domain';
import { readAllToHead, SqliteEventStore } from '@send/event-store';
import { testRedis } from '@send/event-store/testing/test-redis';
import { allProjections, PROJECTIONS_NAME, Projector, SlaDashboardService } from '@send/read-models';
import { projectAll } from '@send/read-models/testing/read-model-fixtures';
import { countFromEvents, figuresOfDashboard } from '@send/read-models/testing/dashboard-count';
import { calendarOf, defaultPolicy, workingTimeBetween } from '@send/sla';
import type { Clock } from '@send/platform';
import { CaseCommands } from '../cases/case-commands';
import { ReferenceNumbers } from '../requests/reference-numbers';
import { DemoDataSeeder } from '../demo/demo-data-seeder';
import { INSPECTION_ATTEMPTS } from '../demo/demo-stories';

const DB = 4; // this file's own Redis database
const NOW = new Date('2026-11-27T15:30:00.000Z'); // a Friday afternoon, as the demo data spec

/**
 * Issue 10: the dashboard figures for the demo data (72 requests over 8 weeks, played through the
 * real domain with the default policy: Mon-Fri working hours, bank holidays) against a count made
 * here from the stored events, with working hours taken one span at a time from the calendar.
 */
describe('the SLA dashboard on the demo data', () => {
  let dir: string;
  let store: SqliteEventStore;
  let redis: Redis;
  let stopRedis: () => Promise<void>;

  beforeAll(async () => {
    const server = await testRedis();
    stopRedis = server.stop;
    redis = new Redis(server.url, { db: DB, maxRetriesPerRequest: 3 });
    await redis.flushdb();
    dir = mkdtempSync(join(tmpdir(), 'dashboard-demo-'));
    store = new SqliteEventStore({ path: join(dir, 'events.db') });
    await new DemoDataSeeder({
      store,
      policy: defaultPolicy,
      references: new ReferenceNumbers(store),
      cases: new CaseCommands(store, { COMMAND_CACHE_STREAMS: 0 }, { now: () => NOW } as Clock),
      clock: () => NOW,
    }).seed();
    await projectAll(store, new Projector(PROJECTIONS_NAME, redis, allProjections()));
  });

  afterAll(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
    await redis.flushdb().catch(() => undefined);
    await redis.quit();
    await stopRedis();
  });

  it('agrees with an independent count from the events, live and as of the same instant', async () => {
    const streams = new Map<string, Array<{ type: string; data: unknown }>>();
    await readAllToHead(
      store,
      (event) => {
        const domain = toDomainEvent(event);
        if (domain) streams.set(event.streamId, [...(streams.get(event.streamId) ?? []), domain]);
      },
      { streamPrefixes: [REQUEST_STREAM_PREFIX] },
    );
    const calendar = calendarOf(defaultPolicy);
    const expected = countFromEvents([...streams.values()], NOW.getTime(), (a, b) =>
      b <= a ? 0 : workingTimeBetween(calendar, new Date(a), new Date(b)),
    );

    const service = new SlaDashboardService({ store, redis, policy: defaultPolicy, clock: () => NOW });
    const live = await service.live();
    expect(figuresOfDashboard(live)).toEqual(expected);
    expect(await service.asOf(NOW)).toEqual(live);
    // The demo tells of late replies, escalations and a family that kept calling: the figures show them.
    expect(live.firstResponse.total).toBeGreaterThan(0);
    expect(live.breaches.total).toBeGreaterThan(0);
    expect(live.escalations.total).toBeGreaterThan(0);
    expect(live.attemptsPerRequest.max).toBeGreaterThanOrEqual(INSPECTION_ATTEMPTS); // the inspection's family
    expect(live.attemptsPerRequest.tenOrMore).toBeGreaterThanOrEqual(1);
  });
});
