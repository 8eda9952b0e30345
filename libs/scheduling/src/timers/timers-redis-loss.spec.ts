import IORedis from 'ioredis';
import { deadlineTimerKey } from '@send/domain';
import { testRedis } from '@send/event-store/testing/test-redis';
import { createScheduling, type Scheduling } from '../create-scheduling';
import {
  count,
  openStore,
  quietLogger,
  submit,
  testPolicy,
  typesOf,
  uniquePrefix,
  until,
  type TestStore,
} from '../testing/scheduling-test-kit';
import { jobIdForTimerKey } from './job-id';
import { RECONCILE_JOB_NAME } from './timer-worker';

/**
 * Redis loses everything while the worker runs (FLUSHALL, a restart without persistence): the
 * delayed jobs and the reconcile job scheduler go with it. The watch notices and brings them back.
 * The Redis may be shared with other test files, so "everything" is every key of this test's prefix.
 */
describe('createScheduling when Redis loses its data while running', () => {
  let redisServer: { url: string; stop(): Promise<void> };
  let redis: IORedis;
  let t: TestStore;
  let prefix: string;
  let scheduling: Scheduling;

  /** FLUSHALL, for this prefix's keys only. */
  const flush = async () => {
    const found = await redis.keys(`${prefix}:*`);
    if (found.length > 0) await redis.del(...found);
    expect(await redis.keys(`${prefix}:*`)).toEqual([]);
  };

  beforeAll(async () => {
    redisServer = await testRedis();
    redis = new IORedis(redisServer.url, { maxRetriesPerRequest: 3 });
  });
  afterAll(async () => {
    await redis.quit();
    await redisServer.stop();
  });
  beforeEach(async () => {
    t = openStore();
    prefix = uniquePrefix();
    scheduling = createScheduling({
      store: t.store,
      redisUrl: redisServer.url,
      policy: testPolicy,
      clock: () => new Date(),
      prefix,
      logger: quietLogger,
      reconcileEveryMs: 60_000, // the scheduled reconcile never runs during the test: only the watch can restore
      watchEveryMs: 200,
      backoffMs: 50,
      retry: { initialMs: 10, maxMs: 100 },
    });
    await scheduling.start();
  });
  afterEach(async () => {
    await scheduling.queue.queue.obliterate({ force: true });
    await scheduling.stop();
    await t.cleanup();
  });

  it('re-creates the reconcile job scheduler and the lost timers, and a deadline lost with them still breaches', async () => {
    const waiting = await submit(t.store); // first response due in 60 s
    const urgent = await submit(t.store, { priority: 'urgent' }); // due in 1 s
    const jobOf = (requestId: string) => scheduling.queue.queue.getJob(jobIdForTimerKey(deadlineTimerKey(requestId, 'first_response')));
    await until('both deadlines scheduled', async () => (await jobOf(waiting)) !== undefined && (await jobOf(urgent)) !== undefined);

    // flush() saw every key gone, the scheduler's with them. Not asked again here: the watch runs
    // every 200 ms and may already have put it back (it did once in CI, between the two reads).
    await flush();

    await until(
      'the scheduler is back',
      async () => (await scheduling.queue.queue.getJobScheduler(RECONCILE_JOB_NAME)) !== undefined,
      5000,
    );
    await until('the 60 s deadline is back', async () => (await jobOf(waiting)) !== undefined, 5000);
    expect(await (await jobOf(waiting))!.getState()).toBe('delayed');
    await until('the urgent request breaches', async () => (await typesOf(t.store, urgent)).includes('EscalationRaised'), 10_000);
    expect(count(await typesOf(t.store, urgent), 'SlaBreached')).toBe(1);
    expect(await scheduling.checkRedis()).toBe('present'); // nothing lost since: the check reads one key
  });

  it('a new request after the loss gets its timers from the process manager, which kept going', async () => {
    await until(
      'the scheduler is registered',
      async () => (await scheduling.queue.queue.getJobScheduler(RECONCILE_JOB_NAME)) !== undefined,
    );
    await flush();
    const later = await submit(t.store, { priority: 'urgent' });
    await until('the later request breaches', async () => (await typesOf(t.store, later)).includes('SlaBreached'), 10_000);
    await until(
      'the scheduler is back',
      async () => (await scheduling.queue.queue.getJobScheduler(RECONCILE_JOB_NAME)) !== undefined,
      5000,
    );
  });
});
