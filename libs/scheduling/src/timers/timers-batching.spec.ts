/** The batched paths: TimerQueue.ensureMany, the reconciler's open-requests pass, the process manager's batches. */
import { v4 as uuid } from 'uuid';
import { nextTimers, streamIdFor, userStreamId, type Timer } from '@send/domain';
import { InMemoryCheckpointStore, type EventStore } from '@send/event-store';
import { UnrecoverableError, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { createScheduling } from '../create-scheduling';
import {
  command,
  quietLogger,
  submit,
  testPolicy,
  uniquePrefix,
  withdraw,
  timersFixture,
  until,
  type TestStore,
} from '../testing/scheduling-test-kit';
import { jobIdForTimerKey } from './job-id';
import { foldStored } from '@send/domain';
import { TimerProcessManager } from './timer-process-manager';
import { ENSURE_CHUNK, TimerQueue } from './timer-queue';
import { TimerReconciler } from './timer-reconciler';
import { RECONCILE_JOB_NAME } from './timer-worker';

const fx = timersFixture();
const closers = fx.closers;
let connection: Redis;
let t: TestStore;
let prefix: string;
let queue: TimerQueue;
beforeEach(() => ({ connection, t, prefix, queue } = fx));

const timersOf = async (requestId: string): Promise<Timer[]> => nextTimers(foldStored(await t.store.read(streamIdFor(requestId))));
const delayedIds = async (): Promise<string[]> => (await queue.queue.getDelayed(0, -1)).map((j) => j.id!).sort();
/** A made-up deadline timer (no request behind it): ensureMany does not care. */
const fakeTimer = (n: number, inMs = 3_600_000): Timer => {
  const requestId = `r${n}`;
  return {
    kind: 'deadline',
    key: `deadline:${requestId}:resolution`,
    at: new Date(Date.now() + inMs).toISOString(),
    command: { type: 'CheckDeadline', requestId, clock: 'resolution' },
  };
};

async function failForGood(timer: Timer): Promise<void> {
  const job = (await queue.job(timer.key))!;
  await job.promote();
  const taker = new Worker(queue.name, null, { connection, prefix, autorun: false });
  try {
    const taken = (await taker.getNextJob('token-1'))!;
    expect(taken.id).toBe(job.id);
    await taken.moveToFailed(new UnrecoverableError('boom'), 'token-1', false);
  } finally {
    await taker.close();
  }
  expect(await job.getState()).toBe('failed');
}

describe('TimerQueue.ensureMany', () => {
  it('adds the missing jobs, leaves existing ones untouched, retries one that failed for good', async () => {
    const timers = [0, 1, 2, 3, 4].map((n) => fakeTimer(n));
    const now = new Date();
    expect(await queue.ensure(timers[0], now)).toBe('added');
    expect(await queue.ensure(timers[1], now)).toBe('added');
    await failForGood(timers[1]);
    const before = (await queue.job(timers[0].key))!;

    // timers[2] given twice: ensured once.
    const outcomes = await queue.ensureMany([...timers, timers[2]], new Date(Date.now() + 5000));
    expect(outcomes).toEqual(['exists', 'retried', 'added', 'added', 'added', 'exists']);
    const after = (await queue.job(timers[0].key))!;
    expect([after.timestamp, after.opts.delay]).toEqual([before.timestamp, before.opts.delay]); // untouched
    expect(await (await queue.job(timers[1].key))!.getState()).not.toBe('failed');
    // Added ones: delay = at - the `now` given (5 s ahead), under their deterministic ids.
    const added = (await queue.job(timers[3].key))!;
    expect(added.data).toMatchObject({ key: timers[3].key, requestId: 'r3', command: timers[3].command });
    expect(Math.abs(added.timestamp + added.opts.delay! + 5000 - Date.parse(timers[3].at))).toBeLessThan(1000);
    expect(await delayedIds()).toEqual(expect.arrayContaining([2, 3, 4].map((n) => jobIdForTimerKey(timers[n].key))));

    expect(await queue.ensureMany(timers, now)).toEqual(['exists', 'exists', 'exists', 'exists', 'exists']);
    expect(await queue.ensureMany([], now)).toEqual([]);
  });

  it('works through more timers than one chunk, a past timer due at once', async () => {
    const n = ENSURE_CHUNK + 37;
    const timers = Array.from({ length: n }, (_, i) => fakeTimer(i));
    await queue.ensure(timers[ENSURE_CHUNK + 1], new Date()); // one in the second chunk exists already
    const outcomes = await queue.ensureMany(timers, new Date());
    expect(outcomes.filter((o) => o === 'added')).toHaveLength(n - 1);
    expect(outcomes[ENSURE_CHUNK + 1]).toBe('exists');
    expect(await queue.queue.getDelayedCount()).toBe(n);

    const past = fakeTimer(n + 1, -60_000);
    expect(await queue.ensureMany([past], new Date())).toEqual(['added']);
    expect(await (await queue.job(past.key))!.getState()).toBe('waiting');
    // Not delayed, still there: left alone (the one-by-one path).
    expect(await queue.ensureMany([past], new Date())).toEqual(['exists']);
  });
});

describe('TimerReconciler over many requests', () => {
  it('keeps only the open requests, folds them a chunk at a time, recreates what Redis lost', async () => {
    const open: string[] = [];
    const resolved: string[] = [];
    for (let i = 0; i < 24; i++) (i % 3 === 0 ? open : resolved).push(await submit(t.store));
    // Interleaved, as in a real log: requests move on after others were submitted.
    for (const requestId of resolved) await withdraw(t.store, requestId);
    const reopened = resolved.pop()!;
    await command(t.store, { type: 'ReopenRequest', requestId: reopened, by: 'officer-1', reason: 'more to do' });
    open.push(reopened);

    const reconciler = new TimerReconciler({ store: t.store, timers: queue, clock: () => new Date(), logger: quietLogger, chunk: 3 });
    const { open: openStreams, submitted } = await reconciler.openRequests();
    expect(submitted).toBe(24);
    expect([...openStreams].sort()).toEqual(open.map(streamIdFor).sort());

    const wanted = (await Promise.all(open.map(timersOf)))
      .flat()
      .map((x) => jobIdForTimerKey(x.key))
      .sort();
    expect(wanted.length).toBeGreaterThanOrEqual(open.length);
    const ensured: number[] = [];
    const ensureMany = queue.ensureMany.bind(queue);
    queue.ensureMany = async (timers, now) => {
      ensured.push(timers.length);
      return ensureMany(timers, now);
    };
    expect(await reconciler.reconcile()).toMatchObject({ requests: 24, open: open.length, timers: wanted.length, added: wanted.length });
    expect(ensured.length).toBeGreaterThan(1); // in chunks
    expect(await delayedIds()).toEqual(wanted);

    await queue.queue.remove(wanted[0]);
    await queue.queue.remove(wanted[wanted.length - 1]);
    expect(await reconciler.reconcile()).toMatchObject({ timers: wanted.length, added: 2, retried: 0 });
    expect(await delayedIds()).toEqual(wanted);
  });
});

describe('TimerReconciler on a large log', () => {
  it('lets setImmediate callbacks run during its pass over $all (at least once per 256 events)', async () => {
    const REQUESTS = 1200;
    // Submitted together: group commit keeps the fixture quick.
    for (let i = 0; i < REQUESTS; i += 200) await Promise.all(Array.from({ length: 200 }, () => submit(t.store)));
    let ticks = 0;
    let passing = true;
    const tick = () => {
      if (!passing) return;
      ticks += 1;
      setImmediate(tick);
    };
    setImmediate(tick);
    const reconciler = new TimerReconciler({ store: t.store, timers: queue, clock: () => new Date(), logger: quietLogger });
    const { submitted } = await reconciler.openRequests();
    passing = false;
    expect(submitted).toBe(REQUESTS);
    // Without turns the pass resolves in microtasks only and the ticker never runs.
    expect(ticks).toBeGreaterThanOrEqual(Math.floor(REQUESTS / 256));
  });
});

describe('TimerProcessManager batches', () => {
  const manager = (options: { store?: EventStore; checkpoints?: InMemoryCheckpointStore; batchSize?: number; idleMs?: number } = {}) => {
    const m = new TimerProcessManager({
      store: options.store ?? t.store,
      timers: queue,
      checkpoints: options.checkpoints ?? new InMemoryCheckpointStore(),
      clock: () => new Date(),
      logger: quietLogger,
      retry: { initialMs: 10, maxMs: 50 },
      batchSize: options.batchSize,
      idleMs: options.idleMs,
    });
    closers.push(() => m.stop());
    return m;
  };

  it('catching up, writes the timers of many events together and never checkpoints past unwritten timers', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 12; i++) ids.push(await submit(t.store));
    const head = t.store.readHead();
    const positionOf = new Map<string, bigint>();
    for (const id of ids) positionOf.set(id, (await t.store.read(streamIdFor(id)))[0].position);
    const checkpoints = new InMemoryCheckpointStore();
    const saved: bigint[] = [];
    const save = checkpoints.save.bind(checkpoints);
    checkpoints.save = async (name, position) => {
      // Whenever a checkpoint is saved, every timer of the requests up to it is in Redis.
      const jobs = new Set(await delayedIds());
      for (const id of ids.filter((x) => positionOf.get(x)! <= position)) {
        for (const timer of await timersOf(id)) expect(jobs.has(jobIdForTimerKey(timer.key))).toBe(true);
      }
      saved.push(position);
      return save(name, position);
    };
    let failures = 0;
    const ensureMany = queue.ensureMany.bind(queue);
    const batches: number[] = [];
    queue.ensureMany = async (timers, now) => {
      if (failures++ === 1) throw new Error('redis went away');
      batches.push(timers.length);
      return ensureMany(timers, now);
    };
    const m = manager({ checkpoints, batchSize: 8 }); // 2 timers per request: a batch every 4 events
    await m.start();
    await until('caught up', async () => checkpoints.positions.get('timers') === head);
    expect(await queue.queue.getDelayedCount()).toBe(24);
    expect(batches.every((n) => n <= 8)).toBe(true);
    expect(batches.length).toBeLessThan(12); // not one write per event
    expect(saved.length).toBeLessThan(12);
    expect(quietLogger.error).toHaveBeenCalledWith(expect.stringContaining('handler failed'), expect.any(Error)); // retried
  });

  it("when the store's head is not a contact-request event: written once no event follows", async () => {
    const requestId = await submit(t.store);
    const submittedAt = (await t.store.read(streamIdFor(requestId)))[0].position;
    // The head: an event the process manager never sees, so no request event is ever "at the head".
    await t.store.append(userStreamId(requestId), [{ id: uuid(), type: 'UserRegistered', data: {} }], { expectedRevision: 'no_stream' });
    const checkpoints = new InMemoryCheckpointStore();
    const m = manager({ checkpoints });
    await m.start();
    const wanted = (await timersOf(requestId)).map((x) => jobIdForTimerKey(x.key)).sort();
    await until('both deadlines scheduled', async () => (await delayedIds()).join() === wanted.join());
    await until('checkpointed', () => checkpoints.positions.get('timers') === submittedAt);
    await withdraw(t.store, requestId);
    await until('both cancelled', async () => (await queue.queue.getDelayedCount()) === 0);
  });

  it('live events that change no timer: their checkpoint is written once within idleMs, not once per event', async () => {
    const requestId = await submit(t.store);
    const checkpoints = new InMemoryCheckpointStore();
    const saved: bigint[] = [];
    const save = checkpoints.save.bind(checkpoints);
    checkpoints.save = async (name, position) => {
      saved.push(position);
      return save(name, position);
    };
    // idleMs long beside the two commands below, so the check between them is not a race.
    const m = manager({ checkpoints, idleMs: 1_000 });
    await m.start();
    await until('the submission checkpointed', () => checkpoints.positions.get('timers') === t.store.readHead());
    const before = saved.length;
    // Two unanswered attempts (the third would escalate): neither changes a timer.
    for (const n of [1, 2])
      await command(t.store, { type: 'RecordAttempt', requestId, attemptId: `a${n}`, channel: 'phone', source: 'portal' });
    const head = t.store.readHead();
    await until('both attempts collected', () => m.runner.checkpoint === head);
    expect(saved.length).toBe(before); // nothing written yet: no timer changed
    await until('checkpointed', () => checkpoints.positions.get('timers') === head);
    expect(saved.length).toBe(before + 1);
  });

  it('stop() writes what was collected and its checkpoint', async () => {
    await submit(t.store);
    await submit(t.store);
    const checkpoints = new InMemoryCheckpointStore();
    const m = manager({ checkpoints, idleMs: 60_000 }); // never by the idle timer
    // Never at the head: only stop() can write.
    (m as unknown as { atHead: () => boolean }).atHead = () => false;
    await m.start();
    await until('both events collected', () => m.runner.checkpoint === t.store.readHead());
    expect(checkpoints.positions.get('timers')).toBeUndefined();
    await m.stop();
    expect(checkpoints.positions.get('timers')).toBe(t.store.readHead());
    expect(await queue.queue.getDelayedCount()).toBe(4);
  });
});

describe('createScheduling start', () => {
  it('runs no reconcile at start when the process manager starts from the beginning; with a checkpoint kept and jobs lost, recreates them', async () => {
    const schedulingPrefix = uniquePrefix();
    const options = {
      store: t.store,
      redisUrl: fx.redisUrl,
      policy: testPolicy,
      clock: () => new Date(),
      prefix: schedulingPrefix,
      logger: quietLogger,
      retry: { initialMs: 10, maxMs: 100 },
    };
    const a = await submit(t.store);
    const b = await submit(t.store);
    const wanted = (await Promise.all([a, b].map(timersOf)))
      .flat()
      .map((x) => jobIdForTimerKey(x.key))
      .sort();

    const first = createScheduling(options);
    const passes = jest.spyOn(first.reconciler, 'reconcile');
    const before = Date.now();
    await first.start();
    expect(passes).not.toHaveBeenCalled();
    // Nor does the job scheduler run one now: its first run is one interval (5 min) out.
    const scheduler = await first.queue.queue.getJobScheduler(RECONCILE_JOB_NAME);
    expect(scheduler?.next).toBeGreaterThanOrEqual(before + 5 * 60_000);
    await until('caught up', () => first.processManager.runner.checkpoint === t.store.readHead());
    const jobIds = async () =>
      (await first.queue.queue.getDelayed(0, -1))
        .map((j) => j.id!)
        .filter((id) => id !== undefined && !id.startsWith('repeat:'))
        .sort();
    expect((await jobIds()).filter((id) => wanted.includes(id))).toEqual(wanted);
    await first.queue.queue.obliterate({ force: true }); // Redis lost the jobs, not the checkpoint
    await first.stop();

    const second = createScheduling(options);
    closers.push(async () => {
      await second.queue.queue.obliterate({ force: true });
      await second.stop();
    });
    await second.start(); // resolves after the start reconcile
    expect(second.processManager.runner.checkpoint).toBe(t.store.readHead());
    const ids = (await second.queue.queue.getDelayed(0, -1)).map((j) => j.id!);
    expect(ids.filter((id) => wanted.includes(id)).sort()).toEqual(wanted);
  });
});
