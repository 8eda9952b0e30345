import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { v4 as uuid } from 'uuid';
import { accountDisabled, streamIdFor, userStreamId } from '@send/domain';
import { SqliteEventStore } from '@send/event-store';
import { testRedis } from '@send/event-store/testing/test-redis';
import { ProjectionsRunner } from '@send/read-models';
import type { NotificationChannel } from './channels';
import { verifyWebhook } from './channels';
import { createNotifications, type Notifications } from './create-notifications';
import { httpStandIn, notifyEmailAnswer, NOTIFY_API_KEY, NOTIFY_TEMPLATE_ID, smtpSink } from './testing/local-servers';
import { advance, after, attempt, checkDeadline, PERSONAL, run, submit } from './testing/request-story';
import { registerStaff, until } from './testing/users';

const NOW = new Date('2026-03-02T10:05:00Z');
const WEBHOOK_SECRET = 'webhook-secret-for-the-spec';
/** This file's own Redis database: recipients come from the users read model, whose rm:* keys are global. */
const DB = 8;

let redisServer: { url: string; stop(): Promise<void> };
let redis: Redis;
let dir: string;
beforeAll(async () => {
  redisServer = await testRedis();
  redis = new Redis(redisServer.url, { db: DB, maxRetriesPerRequest: 3 });
  dir = mkdtempSync(join(tmpdir(), 'send-notifications-'));
});
afterAll(async () => {
  await redis?.quit();
  await redisServer?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/**
 * One world per test: its own SQLite file, read models (the database flushed), Redis key prefix, SMTP
 * sink, Notify and webhook stand-ins, and the worker's projections keeping the users read model.
 */
async function world() {
  const store = new SqliteEventStore({ path: join(dir, `${uuid()}.db`) });
  const prefix = `test:notifications:${uuid()}:`;
  await redis.flushdb();
  const projections = new ProjectionsRunner({ store, redis, logger: { error: () => undefined }, pollMs: 20 });
  await projections.start();
  const staff = await registerStaff(store);
  const sink = await smtpSink();
  const notify = await httpStandIn(notifyEmailAnswer);
  const hook = await httpStandIn(() => ({ status: 204 }));
  const live: any[] = [];
  const subscriber = new Redis(redisServer.url, { db: DB });
  subscriber.on('message', (_c: string, m: string) => live.push(JSON.parse(m)));
  await subscriber.subscribe(`${prefix}alerts:live`);
  const instances: Notifications[] = [];
  const start = async (over: { channels?: NotificationChannel[] } = {}) => {
    const n = createNotifications({
      store,
      redis,
      prefix,
      clock: () => NOW,
      config: {
        smtp: { url: sink.url, from: 'alerts@send.test' },
        notify: { apiKey: NOTIFY_API_KEY, baseUrl: notify.url, templateId: NOTIFY_TEMPLATE_ID },
        webhook: { url: `${hook.url}/teams`, secret: WEBHOOK_SECRET },
      },
      retry: { attempts: 3, backoffMs: 50 },
      subscriptionRetry: { initialMs: 10, maxMs: 50 },
      ...over,
    });
    instances.push(n);
    await n.start();
    return n;
  };
  return {
    store,
    prefix,
    staff,
    sink,
    notify,
    hook,
    live,
    start,
    async close() {
      for (const n of instances) await n.stop();
      await projections.stop();
      subscriber.disconnect();
      await Promise.all([sink.stop(), notify.stop(), hook.stop()]);
      await store.close();
    },
  };
}
type World = Awaited<ReturnType<typeof world>>;

/** Submitted to team north, then three unanswered calls: level 1, the team manager. */
async function escalate(w: World, over: Record<string, unknown> = {}): Promise<string> {
  const id = uuid();
  await run(w.store, submit(id, over), after(0));
  for (const n of [1, 2, 3]) await run(w.store, attempt(id, n), after(n * 10));
  return id;
}

const lastPosition = async (w: World, requestId: string) => (await w.store.read(streamIdFor(requestId))).at(-1)!.position;

describe('createNotifications', () => {
  let w: World;
  afterEach(async () => {
    await w?.close();
  });

  it('delivers an escalation to the team’s manager by email, Notify, webhook and in-app, with no personal data', async () => {
    w = await world();
    const n = await w.start();
    const id = await escalate(w);

    await until(
      () => w.sink.mails.length === 1 && w.notify.requests.length === 1 && w.hook.requests.length === 1 && w.live.length === 1,
      10_000,
      'all four deliveries',
    );
    const mail = w.sink.mails[0];
    expect(mail.to).toEqual(['manager@example.org']); // north's manager, not south's, not the officer
    expect(mail.subject).toBe('[SEND] Escalation level 1: SEND-2026-000123 (EHC needs assessment)');
    expect(mail.text).toContain('The family has tried to reach the service 3 times without an answer');
    expect(mail.text).toContain(`/requests/${id}`);

    expect(w.notify.requests[0].body.email_address).toBe('manager@example.org');
    expect(w.notify.requests[0].body.personalisation.subject).toBe(mail.subject);

    const hook = w.hook.requests[0];
    expect(verifyWebhook(hook.raw, hook.headers, WEBHOOK_SECRET, { now: NOW })).toEqual({ ok: true });
    expect(hook.body.alert).toMatchObject({ requestId: id, level: 1, role: 'team_manager', teamId: 'north' });

    expect(w.live[0]).toMatchObject({ requestId: id, level: 1, role: 'team_manager', teamId: 'north', userIds: [w.staff.northManager] });

    for (const text of [mail.raw, w.notify.requests[0].raw, hook.raw, JSON.stringify(w.live[0])]) {
      for (const value of Object.values(PERSONAL)) expect(text).not.toContain(value);
    }
    // Email, Notify and webhook as queued jobs; in-app published by the dispatcher itself (immediate).
    await until(async () => (await n.queue.getJobCounts('completed')).completed === 3, 5000, '3 completed jobs');
  });

  it('follows the chain: an advance alerts the service manager; a breach alone alerts the team; a breach that raises an escalation alerts once', async () => {
    w = await world();
    await w.start();
    const escalated = await escalate(w);
    await until(() => w.sink.mails.length === 1);
    await run(w.store, advance(escalated, 'esc-a3', 1), after(41));
    await until(() => w.sink.mails.length === 2);
    expect(w.sink.mails[1].to).toEqual(['service.manager@example.org']);
    expect(w.sink.mails[1].subject).toBe('[SEND] Escalated to level 2: SEND-2026-000123 (EHC needs assessment)');

    // First-response deadline: SlaBreached and EscalationRaised in one decision -> one alert.
    const late = uuid();
    await run(w.store, submit(late, { reference: 'SEND-2026-000124' }), after(0));
    await run(w.store, checkDeadline(late, 'first_response'), after(101));
    // Resolution deadline with no escalation open: a breach alert of its own.
    const slow = uuid();
    await run(w.store, submit(slow, { reference: 'SEND-2026-000125', teamId: 'south' }), after(0));
    await run(w.store, checkDeadline(slow, 'resolution'), after(1001));

    await until(() => w.sink.mails.length === 4, 10_000, 'two more mails');
    await new Promise((r) => setTimeout(r, 200)); // nothing else should arrive
    const rest = w.sink.mails.slice(2).map((m) => [m.to[0], m.subject]);
    expect(rest).toEqual(
      expect.arrayContaining([
        ['manager@example.org', '[SEND] Escalation level 1: SEND-2026-000124 (EHC needs assessment)'],
        ['manager2@example.org', '[SEND] Resolution deadline missed: SEND-2026-000125 (EHC needs assessment)'],
      ]),
    );
    expect(w.sink.mails).toHaveLength(4);
    expect(w.sink.mails[2].text + w.sink.mails[3].text).toContain('Reason: first response deadline missed.');
  });

  it('sends nothing for escalations already dealt with when the dispatcher reaches them (a worker starting late)', async () => {
    w = await world();
    const answered = await escalate(w, { reference: 'SEND-2026-000201' });
    await run(
      w.store,
      { type: 'RecordResponse', requestId: answered, responseId: 'r1', officerId: 'o1', channel: 'phone', summary: 'Called back' },
      after(40),
    );
    const acknowledged = await escalate(w, { reference: 'SEND-2026-000202' });
    const escalationId = (await w.store.read(streamIdFor(acknowledged))).find((e) => e.type === 'EscalationRaised')!.data
      .escalationId as string;
    await run(w.store, { type: 'AcknowledgeEscalation', requestId: acknowledged, escalationId, by: w.staff.northManager }, after(41));
    const open = await escalate(w, { reference: 'SEND-2026-000203' });

    await w.start(); // only now: every escalation above is already in the store
    await until(() => w.sink.mails.length === 1, 10_000, 'the one alert still due');
    await new Promise((r) => setTimeout(r, 500));
    expect(w.sink.mails.map((m) => m.subject)).toEqual([expect.stringContaining('SEND-2026-000203')]);
    expect(w.live.map((l) => l.requestId)).toEqual([open]);
  });

  it('alerts the service managers when the request has no team to find a team manager in', async () => {
    w = await world();
    await w.start();
    await escalate(w, { teamId: undefined });
    await until(() => w.sink.mails.length === 1 && w.live.length === 1);
    expect(w.sink.mails[0].to).toEqual(['service.manager@example.org']);
    expect(w.sink.mails[0].text).toContain('escalated to you as service manager (level 1)');
    expect(w.live[0]).toMatchObject({ role: 'service_manager', teamId: null, userIds: [w.staff.serviceManager] });
  });

  it('sends a disabled account nothing: with the team’s only manager disabled, the service managers are alerted instead', async () => {
    w = await world();
    await w.store.append(
      userStreamId(w.staff.northManager),
      [{ id: uuid(), ...accountDisabled(w.staff.northManager, 'left the council', 'admin', NOW) }],
      { expectedRevision: 0n },
    );
    await w.start();
    await escalate(w); // team north
    await until(() => w.sink.mails.length === 1 && w.live.length === 1);
    expect(w.sink.mails[0].to).toEqual(['service.manager@example.org']);
    expect(w.live[0]).toMatchObject({ role: 'service_manager', userIds: [w.staff.serviceManager] });
    await new Promise((r) => setTimeout(r, 200)); // nothing else follows for the disabled manager
    expect(w.sink.mails.flatMap((m) => m.to)).not.toContain('manager@example.org');
  });

  it('enqueues nothing twice when events are delivered again (restart from an older checkpoint)', async () => {
    w = await world();
    const first = await w.start();
    const a = await escalate(w);
    const b = await escalate(w, { reference: 'SEND-2026-000200' });
    const head = await lastPosition(w, b);
    await until(() => first.dispatcher.checkpoint === head, 10_000, 'first dispatcher caught up');
    await until(async () => (await first.queue.getJobCounts('completed')).completed === 6 && w.live.length === 2, 10_000, '8 deliveries');
    const mails = w.sink.mails.length;
    await first.stop();

    // As if it crashed before saving any checkpoint: it reads every alert event again.
    await redis.del(`${w.prefix}checkpoint:notifications`);
    const second = await w.start();
    await until(() => second.dispatcher.checkpoint === head, 10_000, 'second dispatcher caught up');
    await new Promise((r) => setTimeout(r, 300));
    const counts = await second.queue.getJobCounts('completed', 'waiting', 'delayed', 'active', 'failed');
    expect(counts).toMatchObject({ completed: 6, waiting: 0, delayed: 0, active: 0, failed: 0 });
    expect(w.sink.mails).toHaveLength(mails);
    expect(w.sink.mails).toHaveLength(2);
    expect(w.notify.requests).toHaveLength(2);
    expect(w.hook.requests).toHaveLength(2);
    expect(new Set(w.live.map((l) => l.requestId))).toEqual(new Set([a, b]));
    expect(w.live).toHaveLength(2);
  });

  it('retries a failing channel with exponential backoff and keeps the job in the failed state with its attempts', async () => {
    w = await world();
    const tries: number[] = [];
    const failing: NotificationChannel = {
      name: 'email',
      fanOut: 'recipient',
      send: async () => {
        tries.push(Date.now());
        throw new Error('SMTP 451 try again later');
      },
    };
    const n = await w.start({ channels: [failing] });
    await escalate(w);
    await until(async () => (await n.queue.getFailed()).length === 1, 10_000, 'a failed job');
    const [job] = await n.queue.getFailed();
    expect(job.attemptsMade).toBe(3);
    expect(job.failedReason).toBe('SMTP 451 try again later');
    expect(job.data.target.recipient?.email).toBe('manager@example.org');
    expect(job.opts.backoff).toEqual({ type: 'exponential', delay: 50 });
    expect(tries).toHaveLength(3);
    // Backoff: at least 50 ms, then at least 100 ms between tries.
    expect(tries[1] - tries[0]).toBeGreaterThanOrEqual(45);
    expect(tries[2] - tries[1]).toBeGreaterThanOrEqual(95);
    expect(await n.queue.getJobCounts('completed', 'delayed', 'waiting')).toMatchObject({ completed: 0, delayed: 0, waiting: 0 });
  });

  it('fails at once, without retries, on a permanent error', async () => {
    w = await world();
    const { PermanentDeliveryError } = await import('./channels');
    const rejecting: NotificationChannel = {
      name: 'notify',
      fanOut: 'recipient',
      send: async () => {
        throw new PermanentDeliveryError('Notify answered 400 (BadRequestError: Template not found)');
      },
    };
    const n = await w.start({ channels: [rejecting] });
    await escalate(w);
    await until(async () => (await n.queue.getFailed()).length === 1, 10_000, 'a failed job');
    const [job] = await n.queue.getFailed();
    expect(job.attemptsMade).toBe(1);
    expect(job.failedReason).toContain('Template not found');
  });
});
