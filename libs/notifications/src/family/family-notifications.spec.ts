import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { v4 as uuid } from 'uuid';
import { familyNotificationsSet, userStreamId, type FamilyChannel } from '@send/domain';
import { fastPolicy } from '@send/domain/testing/fixtures';
import { SqliteEventStore } from '@send/event-store';
import { testRedis } from '@send/event-store/testing/test-redis';
import { createNotifications, type Notifications } from '../create-notifications';
import { FamilyWorker } from './family-notifications';
import { httpStandIn, notifyEmailAnswer, NOTIFY_API_KEY, NOTIFY_TEMPLATE_ID, smtpSink } from '../testing/local-servers';
import { after, PERSONAL, run, submit } from '../testing/request-story';
import { registerUser, until } from '../testing/users';

const SMS_TEMPLATE_ID = '0d6a1b8e-4d1c-4a59-9d5c-2b1f4f8e9a10';
const DB = 9;

let redisServer: { url: string; stop(): Promise<void> };
let redis: Redis;
let dir: string;
beforeAll(async () => {
  redisServer = await testRedis();
  redis = new Redis(redisServer.url, { db: DB, maxRetriesPerRequest: 3 });
  dir = mkdtempSync(join(tmpdir(), 'send-family-'));
});
afterAll(async () => {
  await redis?.quit();
  await redisServer?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** The real SQLite store, real Redis and BullMQ, and Notify (email and text) and SMTP stand-ins. */
async function world(options: { notify?: boolean; now?: Date } = {}) {
  const store = new SqliteEventStore({ path: join(dir, `${uuid()}.db`) });
  const prefix = `test:family:${uuid()}:`;
  const sink = await smtpSink();
  const notify = await httpStandIn(notifyEmailAnswer);
  const instances: Notifications[] = [];
  const start = async () => {
    const n = createNotifications({
      store,
      redis,
      prefix,
      clock: () => options.now ?? after(60),
      policy: fastPolicy,
      config: {
        smtp: { url: sink.url, from: 'send@send.test' },
        ...(options.notify
          ? { notify: { apiKey: NOTIFY_API_KEY, baseUrl: notify.url, templateId: NOTIFY_TEMPLATE_ID, smsTemplateId: SMS_TEMPLATE_ID } }
          : {}),
      },
      retry: { attempts: 3, backoffMs: 50 },
      subscriptionRetry: { initialMs: 10, maxMs: 50 },
    });
    instances.push(n);
    await n.start();
    return n;
  };
  const notifyFamily = () => notify.requests.filter((r) => String(r.body?.reference ?? '').startsWith('family|'));
  return {
    store,
    prefix,
    sink,
    notify,
    notifyFamily,
    start,
    async close() {
      for (const n of instances) await n.stop();
      await Promise.all([sink.stop(), notify.stop()]);
      await store.close();
    },
  };
}

const choose = (w: { store: SqliteEventStore }, userId: string, channel: FamilyChannel) =>
  w.store.append(userStreamId(userId), [{ id: uuid(), ...familyNotificationsSet(userId, channel, userId, after(0)) }], {
    expectedRevision: 'any',
  });

describe('family notifications (real SQLite store, Redis, BullMQ)', () => {
  let w: Awaited<ReturnType<typeof world>>;
  afterEach(async () => {
    await w?.close();
  });

  it('by email over SMTP when Notify is off, once, even when every event is read again', async () => {
    w = await world();
    let n = await w.start();
    const id = uuid();
    await run(w.store, submit(id), after(0));
    await until(() => w.sink.mails.length === 1, 10_000, 'the receipt');
    const mail = w.sink.mails[0]!;
    expect(mail.to).toEqual([PERSONAL.email]);
    expect(mail.raw).toContain('We have your request SEND-2026-000123');
    for (const secret of [PERSONAL.subject, PERSONAL.message, PERSONAL.caseRef, PERSONAL.name]) expect(mail.raw).not.toContain(secret);
    // The job kept in Redis (for days, to dedupe) holds no address: the worker read it from the request when it sent.
    const jobs = await everythingUnder(w.prefix);
    expect(jobs.some((v) => v.includes('We have your request SEND-2026-000123'))).toBe(true);
    for (const value of jobs) for (const secret of [PERSONAL.email, PERSONAL.name, PERSONAL.subject]) expect(value).not.toContain(secret);

    await n.stop();
    await redis.del(`${w.prefix}checkpoint:family-notifications`);
    n = await w.start();
    await until(async () => (await n.family!.dispatcher.checkpoint) !== 'start', 10_000, 'the replay');
    await new Promise((r) => setTimeout(r, 300));
    expect(w.sink.mails).toHaveLength(1);
  });

  it('with Notify: email through Notify; a text to a family with only a phone; their choice of texts or nothing', async () => {
    w = await world({ notify: true });
    await w.start();
    const phoneOnly = uuid();
    await run(
      w.store,
      submit(phoneOnly, { requester: { role: 'parent', name: PERSONAL.name, email: '', phone: '+447700900123' } }),
      after(0),
    );
    const byEmail = uuid();
    await run(w.store, submit(byEmail, { reference: 'SEND-2026-000124' }), after(1));
    const textsUser = await registerUser(w.store, { email: 'texts@example.org', role: 'parent', teamId: null, name: 'Tess Texter' });
    await choose(w, textsUser, 'sms');
    const texts = uuid();
    await run(
      w.store,
      submit(texts, {
        reference: 'SEND-2026-000125',
        requester: { role: 'parent', name: 'Tess Texter', email: 'texts@example.org', phone: '+447700900456', userId: textsUser },
      }),
      after(2),
    );
    const quietUser = await registerUser(w.store, { email: 'quiet@example.org', role: 'parent', teamId: null });
    await choose(w, quietUser, 'none');
    await run(
      w.store,
      submit(uuid(), {
        reference: 'SEND-2026-000126',
        requester: { role: 'parent', name: 'Q', email: 'quiet@example.org', userId: quietUser },
      }),
      after(3),
    );

    await until(() => w.notifyFamily().length === 3, 10_000, 'three family messages');
    await new Promise((r) => setTimeout(r, 300));
    const sent = w
      .notifyFamily()
      .map((r) => ({ path: r.path, to: r.body.email_address ?? r.body.phone_number, template: r.body.template_id }));
    expect(sent).toEqual(
      expect.arrayContaining([
        { path: '/v2/notifications/sms', to: '+447700900123', template: SMS_TEMPLATE_ID },
        { path: '/v2/notifications/email', to: PERSONAL.email, template: NOTIFY_TEMPLATE_ID },
        { path: '/v2/notifications/sms', to: '+447700900456', template: SMS_TEMPLATE_ID },
      ]),
    );
    expect(w.notifyFamily()).toHaveLength(3); // nothing to the family who chose none
    expect(w.sink.mails).toHaveLength(0); // Notify, not SMTP, when both are on
    for (const r of w.notifyFamily())
      for (const secret of [PERSONAL.subject, PERSONAL.message, PERSONAL.caseRef]) expect(r.raw).not.toContain(secret);
  });

  it("the family's choice as it stood when the news happened: a worker that is behind does not apply a later change", async () => {
    w = await world();
    const userId = await registerUser(w.store, { email: PERSONAL.email, role: 'parent', teamId: null });
    const requester = { role: 'parent', name: PERSONAL.name, email: PERSONAL.email, userId };
    await choose(w, userId, 'none');
    await run(w.store, submit(uuid(), { reference: 'SEND-2026-000201', requester }), after(0));
    await choose(w, userId, 'email');
    await run(w.store, submit(uuid(), { reference: 'SEND-2026-000202', requester }), after(1));
    // Only now does the worker read them, both choices already on the account.
    await w.start();
    await until(() => w.sink.mails.length === 1, 10_000, 'the second receipt');
    await new Promise((r) => setTimeout(r, 300));
    expect(w.sink.mails.map((m) => m.raw.match(/SEND-2026-\d+/)?.[0])).toEqual(['SEND-2026-000202']);
  });

  it('a family erased after the message was queued is not sent it (the worker finds no address), nor an old job with one', async () => {
    w = await world();
    const sent: string[] = [];
    const connection = { url: redisServer.url, db: DB, maxRetriesPerRequest: null };
    const worker = new FamilyWorker({
      connection,
      prefix: w.prefix,
      senders: { email: async (m) => void sent.push(m.to) },
      addresses: async (requestId) => (requestId === 'kept' ? 'kept@example.org' : null),
    });
    try {
      const job = { kind: 'received' as const, reference: 'SEND-1', route: { channel: 'email' as const }, subject: 's', text: 't' };
      await worker.deliver('d-1', { ...job, requestId: 'erased' });
      await worker.deliver('d-2', { ...job, requestId: 'kept' });
      await worker.deliver('d-3', { ...job, route: { channel: 'email', to: 'queued-before@example.org' } });
      expect(sent).toEqual(['kept@example.org', 'queued-before@example.org']);
      // A failure's reason (kept with the failed job) never carries the address.
      const failing = new FamilyWorker({
        connection,
        prefix: w.prefix,
        senders: { email: async (m) => Promise.reject(new Error(`550 mailbox ${m.to} unknown`)) },
        addresses: async () => 'zeb@example.org',
      });
      await expect(failing.deliver('d-4', { ...job, requestId: 'x' })).rejects.toThrow('550 mailbox [address] unknown');
      await failing.stop();
    } finally {
      await worker.stop();
    }
  });

  it('events more than two days old are not told (a replay after Redis lost everything)', async () => {
    w = await world({ now: after(3 * 24 * 3600) });
    const n = await w.start();
    await run(w.store, submit(uuid()), after(0));
    await until(async () => (await n.family!.dispatcher.checkpoint) !== 'start', 10_000, 'the dispatcher to pass it');
    await new Promise((r) => setTimeout(r, 300));
    expect(w.sink.mails).toHaveLength(0);
  });
});

/** Every value (of any type) of the keys under `prefix`: BullMQ's queues and jobs. */
async function everythingUnder(prefix: string): Promise<string[]> {
  const out: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    for (const key of batch) {
      const type = await redis.type(key);
      if (type === 'hash') out.push(JSON.stringify(await redis.hgetall(key)));
      else if (type === 'string') out.push((await redis.get(key)) ?? '');
      else if (type === 'list') out.push(JSON.stringify(await redis.lrange(key, 0, -1)));
      else if (type === 'zset') out.push(JSON.stringify(await redis.zrange(key, 0, -1)));
      else if (type === 'set') out.push(JSON.stringify(await redis.smembers(key)));
      else if (type === 'stream') out.push(JSON.stringify(await redis.xrange(key, '-', '+')));
    }
  } while (cursor !== '0');
  return out;
}
