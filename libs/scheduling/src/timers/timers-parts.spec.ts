import { v4 as uuid } from 'uuid';
import { nextTimers, streamIdFor, userStreamId, type Timer } from '@send/domain';
import {
  InMemoryCheckpointStore,
  RedisCheckpointStore,
  type CheckpointStore,
  type EventStore,
  type RecordedEvent,
} from '@send/event-store';
import { UnrecoverableError, Worker } from 'bullmq';
import IORedis, { type Redis } from 'ioredis';
import {
  command,
  quietLogger,
  submit,
  testPolicy,
  typesOf,
  timersFixture,
  until,
  withdraw,
  type TestStore,
} from '../testing/scheduling-test-kit';
import { jobIdForTimerKey, timerKeyForJobId } from './job-id';
import { foldStored } from '@send/domain';
import { TimerProcessManager } from './timer-process-manager';
import { TimerQueue, type EnsureOutcome, type TimerJobData } from './timer-queue';
import { TimerReconciler } from './timer-reconciler';
import { TimerWorker } from './timer-worker';

const fx = timersFixture();
const closers = fx.closers;
let connection: Redis;
let t: TestStore;
let prefix: string;
let queue: TimerQueue;
beforeEach(() => ({ connection, t, prefix, queue } = fx));

const worker = (options: { clock?: () => Date; store?: EventStore; autorun?: boolean } = {}) => {
  const w = new TimerWorker({
    store: options.store ?? t.store,
    connection,
    prefix,
    policy: testPolicy,
    clock: options.clock ?? (() => new Date()),
    logger: quietLogger,
    autorun: options.autorun ?? true,
  });
  closers.push(() => w.close());
  return w;
};

/** The timers the request's stream wants now. */
const timersOf = async (requestId: string): Promise<Timer[]> => nextTimers(foldStored(await t.store.read(streamIdFor(requestId))));
const jobData = (timer: Timer): TimerJobData => ({
  requestId: timer.command.requestId,
  key: timer.key,
  at: timer.at,
  command: timer.command,
});
const at = (iso: string, plusMs: number) => new Date(Date.parse(iso) + plusMs);
const delayedIds = async (): Promise<string[]> => (await queue.queue.getDelayed(0, -1)).map((j) => j.id!);

describe('job ids', () => {
  it("map every ':' of a timer key to '|' and back", () => {
    const key = 'escalation:7b0b6d3e-2f0e-4c55-9d53-1a1f3e2c9a01:esc-a3:2:ack:r1';
    expect(jobIdForTimerKey(key)).toBe('escalation|7b0b6d3e-2f0e-4c55-9d53-1a1f3e2c9a01|esc-a3|2|ack|r1');
    expect(timerKeyForJobId(jobIdForTimerKey(key))).toBe(key);
    expect(jobIdForTimerKey('deadline:r:first_response')).toBe('deadline|r|first_response');
  });
});

describe('TimerWorker.fire', () => {
  it('appends once when the same job runs twice, even later', async () => {
    const submittedAt = new Date();
    const requestId = await submit(t.store, { priority: 'urgent', now: submittedAt });
    const deadline = (await timersOf(requestId)).find((x) => x.key.endsWith(':first_response'))!;
    let now = at(deadline.at, 10);
    const w = worker({ clock: () => now, autorun: false });

    const first = await w.fire(jobIdForTimerKey(deadline.key), jobData(deadline));
    expect(first).toEqual({ outcome: 'appended', eventTypes: ['SlaBreached', 'EscalationRaised'] });
    const afterFirst = await t.store.read(streamIdFor(requestId));
    now = at(deadline.at, 60_000); // the retry comes much later: it must not decide again
    const second = await w.fire(jobIdForTimerKey(deadline.key), jobData(deadline));
    expect(second).toEqual(first);
    expect(await t.store.read(streamIdFor(requestId))).toEqual(afterFirst);
  });

  it('does nothing for a timer made stale by a response', async () => {
    const requestId = await submit(t.store, { priority: 'urgent' });
    const deadline = (await timersOf(requestId)).find((x) => x.key.endsWith(':first_response'))!;
    await command(t.store, { type: 'RecordResponse', requestId, responseId: 'r1', officerId: 'o1', channel: 'email', summary: 'Replied' });
    const w = worker({ clock: () => at(deadline.at, 10), autorun: false });
    expect(await w.fire('job', jobData(deadline))).toEqual({ outcome: 'nothing' });
    expect(await typesOf(t.store, requestId)).toEqual(['ContactRequestSubmitted', 'OfficerResponded']);
  });

  it('reports an early firing of a timer still wanted, and completes on a domain refusal', async () => {
    const requestId = await submit(t.store, { priority: 'urgent' });
    const deadline = (await timersOf(requestId)).find((x) => x.key.endsWith(':first_response'))!;
    const w = worker({ clock: () => at(deadline.at, -500), autorun: false });
    expect(await w.fire('job', jobData(deadline))).toEqual({ outcome: 'early', retryAt: deadline.at });

    const ghost = { ...jobData(deadline), requestId: uuid() };
    ghost.command = { ...deadline.command, requestId: ghost.requestId };
    expect(await w.fire('job', ghost)).toEqual({ outcome: 'refused', code: 'request_not_found' });
    expect(await typesOf(t.store, requestId)).toEqual(['ContactRequestSubmitted']);
  });
});

describe('TimerWorker on the queue', () => {
  it('puts a job that fired early back to wait for its time, then fires it', async () => {
    const requestId = await submit(t.store, { priority: 'urgent' }); // due in 1 s
    const deadline = (await timersOf(requestId)).find((x) => x.key.endsWith(':first_response'))!;
    const w = worker();
    const runs: string[] = [];
    w.worker.on('active', (job) => runs.push(job.id!));
    await queue.ensure(deadline, new Date(deadline.at)); // a scheduler whose clock ran 1 s ahead: delay 0
    await until('the breach is recorded', async () => (await typesOf(t.store, requestId)).includes('SlaBreached'));
    const breach = (await t.store.read(streamIdFor(requestId))).find((e) => e.type === 'SlaBreached')!;
    expect(Date.parse(breach.data['breachedAt'] as string)).toBeGreaterThanOrEqual(Date.parse(deadline.at));
    expect(runs.filter((id) => id === jobIdForTimerKey(deadline.key)).length).toBeGreaterThanOrEqual(2);
  });

  it('retries after an infrastructure failure, completes a refused job without retrying', async () => {
    const requestId = await submit(t.store, { priority: 'urgent' });
    const deadline = (await timersOf(requestId)).find((x) => x.key.endsWith(':first_response'))!;
    let failures = 0;
    const flaky: EventStore = Object.create(t.store);
    flaky.read = async (stream, options) => {
      if (failures++ === 0) throw new Error('database is locked');
      return t.store.read(stream, options);
    };
    const w = worker({ store: flaky });
    const completed: Record<string, unknown> = {};
    w.worker.on('completed', (job, value) => (completed[job.id!] = value));
    await queue.ensure(deadline, new Date());
    await until('the breach is recorded', async () => (await typesOf(t.store, requestId)).includes('SlaBreached'));
    expect(failures).toBeGreaterThanOrEqual(2);
    expect(quietLogger.error).toHaveBeenCalledWith(expect.stringContaining('attempt 1'), expect.any(Error));

    const ghostId = uuid();
    const ghost: Timer = {
      kind: 'deadline',
      key: `deadline:${ghostId}:first_response`,
      at: deadline.at,
      command: { type: 'CheckDeadline', requestId: ghostId, clock: 'first_response' },
    };
    await queue.ensure(ghost, new Date(deadline.at));
    await until('the refused job completes', () => completed[jobIdForTimerKey(ghost.key)] !== undefined);
    expect(completed[jobIdForTimerKey(ghost.key)]).toEqual({ outcome: 'refused', code: 'request_not_found' });
    expect(await queue.queue.getFailedCount()).toBe(0);
  });
});

describe('TimerQueue.ensure', () => {
  it('adds a job due at the timer, leaves an existing one alone, retries one that failed for good', async () => {
    const requestId = await submit(t.store);
    const [deadline] = await timersOf(requestId);
    const now = new Date();
    expect(await queue.ensure(deadline, now)).toBe('added');
    expect(await queue.ensure(deadline, now)).toBe('exists');
    const job = (await queue.job(deadline.key))!;
    expect(job.id).toBe(jobIdForTimerKey(deadline.key));
    expect(job.timestamp + job.opts.delay!).toBeGreaterThanOrEqual(Date.parse(deadline.at) - 1000);
    expect(job.timestamp + job.opts.delay!).toBeLessThanOrEqual(Date.parse(deadline.at) + 1000);

    // Fail it for good, as a worker whose attempts ran out would.
    await job.promote();
    const taker = new Worker(queue.name, null, { connection, prefix, autorun: false });
    closers.push(() => taker.close());
    const taken = (await taker.getNextJob('token-1'))!;
    expect(taken.id).toBe(job.id);
    await taken.moveToFailed(new UnrecoverableError('boom'), 'token-1', false);
    expect(await job.getState()).toBe('failed');
    expect(await queue.ensure(deadline, now)).toBe('retried');
    expect(await (await queue.job(deadline.key))!.getState()).not.toBe('failed');
  });
});

describe('TimerReconciler', () => {
  it('recreates the timers of open requests that Redis lost, and leaves existing jobs alone', async () => {
    const open = await submit(t.store);
    const closed = await submit(t.store);
    await withdraw(t.store, closed);
    const reconciler = new TimerReconciler({ store: t.store, timers: queue, clock: () => new Date(), logger: quietLogger });
    const wanted = (await timersOf(open)).map((x) => jobIdForTimerKey(x.key)).sort();
    const jobIds = async () => (await queue.queue.getDelayed()).map((j) => j.id!).sort();

    expect(await reconciler.reconcile()).toMatchObject({ requests: 2, timers: 2, added: 2 });
    expect(await jobIds()).toEqual(wanted);
    const before = await queue.job((await timersOf(open))[0].key);
    expect(await reconciler.reconcile()).toMatchObject({ timers: 2, added: 0 });
    expect((await queue.job((await timersOf(open))[0].key))!.timestamp).toBe(before!.timestamp); // untouched

    await queue.queue.remove(wanted[0]);
    expect(await reconciler.reconcile()).toMatchObject({ added: 1 });
    expect(await jobIds()).toEqual(wanted);

    await queue.queue.obliterate({ force: true }); // Redis came back empty
    expect(await reconciler.reconcile()).toMatchObject({ added: 2 });
    expect(await jobIds()).toEqual(wanted);
  });

  it('ends its pass over the store at the head, also when the head is not a contact request', async () => {
    const a = await submit(t.store);
    const b = await submit(t.store);
    await t.store.append(userStreamId(uuid()), [{ id: uuid(), type: 'UserRegistered', data: {} }], { expectedRevision: 'no_stream' });
    const reconciler = new TimerReconciler({ store: t.store, timers: queue, clock: () => new Date(), logger: quietLogger });
    const { open, submitted } = await reconciler.openRequests();
    expect(submitted).toBe(2);
    expect([...open].sort()).toEqual([streamIdFor(a), streamIdFor(b)].sort());
  });
});

describe('TimerProcessManager', () => {
  /** A process manager on the test store and queue, stopped after the test. */
  const manager = (checkpoints: CheckpointStore = new InMemoryCheckpointStore()) => {
    const m = new TimerProcessManager({
      store: t.store,
      timers: queue,
      checkpoints,
      clock: () => new Date(),
      logger: quietLogger,
      retry: { initialMs: 10 },
    });
    closers.push(() => m.stop());
    return m;
  };

  it('restarted from its checkpoint, schedules nothing twice; replayed from the start, adds nothing', async () => {
    const redis = new IORedis(fx.redisUrl);
    closers.push(() => redis.quit());
    const checkpoints = new RedisCheckpointStore(redis, { prefix: `${prefix}:` });
    const outcomes: EnsureOutcome[] = [];
    const ensureMany = queue.ensureMany.bind(queue);
    queue.ensureMany = async (timers, now) => {
      const result = await ensureMany(timers, now);
      outcomes.push(...result);
      return result;
    };
    const caughtUp = (m: TimerProcessManager) => until('caught up', () => m.runner.checkpoint === t.store.readHead());

    const a = await submit(t.store);
    const b = await submit(t.store);
    const first = manager(checkpoints);
    await first.start();
    await caughtUp(first);
    await first.stop();
    expect(await queue.queue.getDelayedCount()).toBe(4);
    expect(await redis.get(`${prefix}:checkpoint:timers`)).toBe(String(t.store.readHead()));

    // While it is down: a and b move on (no new timers), c arrives.
    await command(t.store, { type: 'AssignRequest', requestId: a, officerId: 'o1', teamId: 'north', by: 'm1' });
    await command(t.store, { type: 'AssignRequest', requestId: b, officerId: 'o1', teamId: 'north', by: 'm1' });
    const c = await submit(t.store);
    outcomes.length = 0;
    const second = manager(checkpoints);
    await second.start();
    await caughtUp(second);
    // Only the three new events were handled: two requests re-ensured (all exist), c's two timers added.
    expect(outcomes.sort()).toEqual(['added', 'added', 'exists', 'exists', 'exists', 'exists']);
    expect(await queue.queue.getDelayedCount()).toBe(6);
    expect((await queue.queue.getDelayed()).map((j) => j.data.requestId).filter((r) => r === c)).toHaveLength(2);
    await second.stop();

    outcomes.length = 0;
    const fromStart = manager(new InMemoryCheckpointStore());
    await fromStart.start();
    await caughtUp(fromStart);
    expect(outcomes.length).toBeGreaterThan(0);
    expect(outcomes.every((o) => o === 'exists')).toBe(true);
    expect(await queue.queue.getDelayedCount()).toBe(6);
  });

  it('an event that leaves the wanted timers unchanged ensures nothing; a changed one is ensured, a retired one cancelled', async () => {
    const ensured: string[][] = [];
    const cancelled: string[] = [];
    let failNext = false;
    const ensureMany = queue.ensureMany.bind(queue);
    queue.ensureMany = async (timers, now) => {
      ensured.push(timers.map((x) => x.key).sort());
      if (failNext) {
        failNext = false;
        throw new Error('redis went away');
      }
      return ensureMany(timers, now);
    };
    const cancel = queue.cancel.bind(queue);
    queue.cancel = async (key) => {
      cancelled.push(key);
      return cancel(key);
    };
    const m = manager();
    /** Handles each event as the runner would (the manager is not started: nothing else runs). */
    const handled = async (events: RecordedEvent[]) => {
      ensured.length = 0;
      cancelled.length = 0;
      for (const event of events) await m.handle(event);
    };
    const attempt = (n: number) =>
      command(t.store, { type: 'RecordAttempt', requestId, attemptId: `a${n}`, channel: 'phone', source: 'portal' });
    const keysOf = async () => (await timersOf(requestId)).map((x) => x.key).sort();

    const requestId = await submit(t.store);
    await handled(await t.store.read(streamIdFor(requestId)));
    const deadlines = await keysOf();
    expect(ensured).toEqual([deadlines]);
    await handled(await attempt(1)); // no timer changes
    expect(ensured).toEqual([]);

    // The third unanswered attempt raises level 1: only its new ack timer is ensured; the first
    // write fails, and the retry (with the next event, which changes nothing) writes it again.
    await handled(await attempt(2));
    failNext = true;
    const third = await attempt(3);
    expect(third.map((e) => e.type)).toEqual(['ContactAttemptRecorded', 'EscalationRaised']);
    await expect(handled(third)).rejects.toThrow('redis went away');
    const ack = (await keysOf()).filter((key) => !deadlines.includes(key));
    expect(ack).toHaveLength(1);
    expect(ensured).toEqual([ack]);
    const fourth = await attempt(4);
    expect(fourth.map((e) => e.type)).toEqual(['ContactAttemptRecorded']);
    await handled(fourth);
    expect(ensured).toEqual([ack]);
    expect((await delayedIds()).sort()).toEqual([...deadlines, ...ack].map(jobIdForTimerKey).sort());

    // Another unanswered attempt on the escalated request: no Redis work for its timers. A job
    // Redis lost meanwhile is not put back by it, but by the reconciler.
    await queue.queue.remove(jobIdForTimerKey(deadlines[0]));
    await handled(await attempt(5));
    expect([ensured, cancelled]).toEqual([[], []]);
    const reconciler = new TimerReconciler({ store: t.store, timers: queue, clock: () => new Date(), logger: quietLogger });
    expect(await reconciler.reconcile()).toMatchObject({ timers: 3, added: 1 });

    // A process that did not plan the state before the event ensures every timer it wants.
    const sixth = await attempt(6);
    const fresh = manager();
    ensured.length = 0;
    await fresh.handle(sixth[0]);
    expect(ensured).toEqual([await keysOf()]);
    await handled(sixth);
    expect(ensured).toEqual([]);

    // Acknowledged: the ack timer is retired (cancelled), the respond timer is new (ensured).
    const escalationId = third[1].data['escalationId'] as string;
    await handled(await command(t.store, { type: 'AcknowledgeEscalation', requestId, escalationId, by: 'manager-1' }));
    const respond = (await keysOf()).filter((key) => !deadlines.includes(key));
    expect(respond).toHaveLength(1);
    expect(respond).not.toEqual(ack);
    expect([ensured, cancelled]).toEqual([[respond], ack]);
    expect((await delayedIds()).sort()).toEqual([...deadlines, ...respond].map(jobIdForTimerKey).sort());
  });

  it('cancels the timers an event retired', async () => {
    const m = manager();
    await m.start();
    const requestId = await submit(t.store);
    await until('both deadlines scheduled', async () => (await queue.queue.getDelayedCount()) === 2);
    await withdraw(t.store, requestId);
    await until('both cancelled', async () => (await queue.queue.getDelayedCount()) === 0);
  });
});
