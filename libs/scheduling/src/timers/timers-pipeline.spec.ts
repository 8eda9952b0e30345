import { deadlineTimerKey, streamIdFor } from '@send/domain';
import { testRedis } from '@send/event-store/testing/test-redis';
import { createScheduling, type Scheduling } from '../create-scheduling';
import {
  command,
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

/** The whole loop on a real SQLite store and a real Redis: events -> jobs -> commands -> events. */
describe('timers end to end (createScheduling)', () => {
  let redis: { url: string; stop(): Promise<void> };
  let t: TestStore;
  let scheduling: Scheduling;

  beforeAll(async () => {
    redis = await testRedis();
  });
  afterAll(async () => {
    await redis.stop();
  });
  beforeEach(async () => {
    t = openStore();
    scheduling = createScheduling({
      store: t.store,
      redisUrl: redis.url,
      policy: testPolicy,
      clock: () => new Date(),
      prefix: uniquePrefix(),
      logger: quietLogger,
      backoffMs: 50,
      retry: { initialMs: 10, maxMs: 100 },
    });
    await scheduling.start();
  });
  afterEach(async () => {
    await scheduling.stop();
    await t.cleanup();
  });

  it('schedules the first-response deadline under its deterministic id; when it fires, records the breach and raises level 1 once', async () => {
    const requestId = await submit(t.store, { priority: 'urgent' }); // first response due in 1 s
    const jobId = `deadline|${requestId}|first_response`;
    expect(jobIdForTimerKey(deadlineTimerKey(requestId, 'first_response'))).toBe(jobId);
    await until('the deadline job is scheduled', async () => (await scheduling.queue.queue.getJob(jobId)) !== undefined);
    const job = (await scheduling.queue.queue.getJob(jobId))!;
    expect(job.data).toMatchObject({
      requestId,
      key: `deadline:${requestId}:first_response`,
      command: { type: 'CheckDeadline', clock: 'first_response' },
    });

    await until('the breach is recorded', async () => (await typesOf(t.store, requestId)).includes('EscalationRaised'));
    const events = await t.store.read(streamIdFor(requestId));
    const breach = events.find((e) => e.type === 'SlaBreached')!;
    expect(breach.data).toMatchObject({ clock: 'first_response' });
    expect(breach.metadata).toMatchObject({ causationId: jobId, actor: { id: 'system:timers', role: 'system' } });
    expect(events.find((e) => e.type === 'EscalationRaised')!.data).toMatchObject({ level: 1, reason: 'sla_breached' });

    // The level-1 ack timer (2 s) advances it; by then the deadline job has long completed and is not recreated.
    await until('level 1 times out', async () => (await typesOf(t.store, requestId)).includes('EscalationAdvanced'));
    const types = await typesOf(t.store, requestId);
    expect(count(types, 'SlaBreached')).toBe(1);
    expect(count(types, 'EscalationRaised')).toBe(1);
    expect(await scheduling.queue.queue.getJob(jobId)).toBeUndefined();
  });

  it('raises level 1 on the third unanswered attempt and, unacknowledged, advances it to level 2', async () => {
    const requestId = await submit(t.store);
    for (const n of [1, 2, 3]) {
      await command(t.store, { type: 'RecordAttempt', requestId, attemptId: `a${n}`, channel: 'phone', source: 'portal' });
    }
    const raised = (await t.store.read(streamIdFor(requestId))).find((e) => e.type === 'EscalationRaised')!;
    expect(raised.data).toMatchObject({ level: 1, reason: 'repeated_unanswered' });
    const escalationId = raised.data['escalationId'] as string;
    await until(
      'the ack timer is scheduled',
      async () => (await scheduling.queue.queue.getJob(`escalation|${requestId}|${escalationId}|1|ack`)) !== undefined,
    );

    await until('the escalation advances', async () => (await typesOf(t.store, requestId)).includes('EscalationAdvanced'));
    const advanced = (await t.store.read(streamIdFor(requestId))).filter((e) => e.type === 'EscalationAdvanced');
    expect(advanced).toHaveLength(1);
    expect(advanced[0].data).toMatchObject({
      escalationId,
      fromLevel: 1,
      toLevel: 2,
      reason: 'ack_timeout',
      notifyRole: 'service_manager',
    });
    // Level 2's ack timer follows (due in 60 s).
    await until(
      'the level-2 timer is scheduled',
      async () => (await scheduling.queue.queue.getJob(`escalation|${requestId}|${escalationId}|2|ack`)) !== undefined,
    );
  });

  it('an acknowledged escalation with no officer response advances with reason still_unanswered', async () => {
    const requestId = await submit(t.store);
    for (const n of [1, 2, 3]) {
      await command(t.store, { type: 'RecordAttempt', requestId, attemptId: `a${n}`, channel: 'email', source: 'portal' });
    }
    const escalationId = (await t.store.read(streamIdFor(requestId))).find((e) => e.type === 'EscalationRaised')!.data[
      'escalationId'
    ] as string;
    await command(t.store, { type: 'AcknowledgeEscalation', requestId, escalationId, by: 'manager-1' });
    await until('the escalation advances', async () => (await typesOf(t.store, requestId)).includes('EscalationAdvanced'));
    const advanced = (await t.store.read(streamIdFor(requestId))).find((e) => e.type === 'EscalationAdvanced')!;
    expect(advanced.data).toMatchObject({ fromLevel: 1, toLevel: 2, reason: 'still_unanswered' });
    // The ack timer retired by the acknowledgement was cancelled (or found nothing to do).
    expect(await scheduling.queue.queue.getJob(`escalation|${requestId}|${escalationId}|1|ack`)).toBeUndefined();
  });

  it('a response before the deadline stops the clock: nothing is breached and the timer is gone', async () => {
    const requestId = await submit(t.store, { priority: 'urgent' });
    const [response] = await command(t.store, {
      type: 'RecordResponse',
      requestId,
      responseId: 'r1',
      officerId: 'officer-1',
      channel: 'phone',
      summary: 'Called back',
    });
    await until('the process manager has handled the response', () => scheduling.processManager.runner.checkpoint === response.position);
    expect(await scheduling.queue.queue.getJob(`deadline|${requestId}|first_response`)).toBeUndefined(); // cancelled
    await until(
      'the resolution timer is pending',
      async () => (await scheduling.queue.queue.getJob(`deadline|${requestId}|resolution`)) !== undefined,
    );
    await new Promise((r) => setTimeout(r, 1500)); // past the 1 s first-response due time
    expect(await typesOf(t.store, requestId)).toEqual(['ContactRequestSubmitted', 'OfficerResponded']);
  });
});
