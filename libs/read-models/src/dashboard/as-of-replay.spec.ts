import { v4 as uuid } from 'uuid';
import type { SqliteEventStore } from '@send/event-store';
import { RequestDriver, tempStore } from '../testing/read-model-fixtures';
import Redis from 'ioredis';
import { fastPolicy } from '@send/domain/testing/fixtures';
import { testRedis } from '@send/event-store/testing/test-redis';
import { replayRequestRecords, SlaDashboardService } from './sla-dashboard.service';

/** Counts how many times the event loop reached its check phase (setImmediate) until stopped. */
function loopTicks(): { stop(): number } {
  let ticks = 0;
  let running = true;
  const tick = () => {
    if (!running) return;
    ticks += 1;
    setImmediate(tick);
  };
  setImmediate(tick);
  return {
    stop: () => {
      running = false;
      return ticks;
    },
  };
}

describe('as-of replay shares the event loop', () => {
  let store: SqliteEventStore;
  let dispose: () => Promise<void>;
  const REQUESTS = 1500;

  beforeAll(async () => {
    ({ store, dispose } = tempStore());
    const drive = new RequestDriver(store);
    // Submitted together: group commit keeps the fixture quick.
    for (let i = 0; i < REQUESTS; i += 250) {
      await Promise.all(Array.from({ length: 250 }, (_, j) => drive.at(i + j).submit(uuid(), {}, i + j + 1)));
    }
  });
  afterAll(() => dispose());

  it('lets setImmediate callbacks run while it replays the whole log (at least once per 256 events)', async () => {
    const ticks = loopTicks();
    const records = await replayRequestRecords(store, new Date('2100-01-01T00:00:00Z'));
    const ran = ticks.stop();
    expect(records).toHaveLength(REQUESTS);
    // Without turns the replay resolves in microtasks only and the ticker never runs.
    expect(ran).toBeGreaterThanOrEqual(Math.floor(REQUESTS / 256));
  });

  it('runs as-of replays one at a time: two requests never read the log together', async () => {
    const redisHandle = await testRedis();
    const redis = new Redis(redisHandle.url);
    let open = 0;
    let mostOpen = 0;
    const subscribe = store.subscribeToAll.bind(store);
    const spy = jest.spyOn(store, 'subscribeToAll').mockImplementation((options) => {
      const subscription = subscribe(options);
      open += 1;
      mostOpen = Math.max(mostOpen, open);
      const close = subscription.close.bind(subscription);
      subscription.close = async () => {
        open -= 1;
        subscription.close = close;
        await close();
      };
      return subscription;
    });
    try {
      // A fixed clock: an asOf past it is taken as now, and both replays must see the same now.
      const now = new Date('2099-01-01T00:00:00Z');
      const service = new SlaDashboardService({ store, redis, policy: fastPolicy, clock: () => now });
      const asOf = new Date('2100-01-01T00:00:00Z');
      const [a, b] = await Promise.all([service.asOf(asOf), service.asOf(asOf)]);
      expect(a.total).toBe(REQUESTS);
      expect(b).toEqual(a);
      expect(spy).toHaveBeenCalledTimes(2);
      expect(mostOpen).toBe(1);
    } finally {
      spy.mockRestore();
      redis.disconnect();
      await redisHandle.stop();
    }
  });
});
