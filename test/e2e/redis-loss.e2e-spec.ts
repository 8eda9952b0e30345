import Database from 'better-sqlite3';
import Redis from 'ioredis';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { streamIdFor } from '@send/domain';
import { keys, PROJECTED_STREAM_PREFIXES, PROJECTIONS_NAME, READ_MODEL_PREFIX } from '@send/read-models';
import { AppProcess } from '../support/processes';
import { startSmtpSink } from '../support/smtp-sink';
import { apiClient, eventually, freePort, startThrowawayRedis } from '../support/system';
import { sqliteJourney } from './escalation-journey';

/**
 * Redis loses everything (FLUSHALL) while the api and the worker run: delayed timer jobs, the
 * reconcile job scheduler, read models, checkpoints and the projections lease. Nothing restarts.
 * The worker notices within one reconcile interval (3 s here) and puts the timers back, the
 * projections rebuild the read models from the event store, and deadlines that fall due after the
 * loss still breach and escalate, each alert emailed once.
 */
/** Every read-model key and its value, whatever its type, for a key-by-key comparison. */
async function readModels(redis: Redis): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const key of (await redis.keys(`${READ_MODEL_PREFIX}*`)).sort()) {
    const type = await redis.type(key);
    if (type === 'string') out[key] = await redis.get(key);
    else if (type === 'zset') out[key] = await redis.zrange(key, 0, -1, 'WITHSCORES');
    else if (type === 'set') out[key] = (await redis.smembers(key)).sort();
    else if (type === 'hash') out[key] = await redis.hgetall(key);
    else if (type === 'list') out[key] = await redis.lrange(key, 0, -1);
    else out[key] = `(${type})`;
  }
  return out;
}

/** Each delivery job's Message-ID is its job id: one per event, channel and recipient. */
const messageId = (mail: { raw: string }) => /^Message-ID:\s*(\S+)/im.exec(mail.raw)?.[1] ?? mail.raw;

const POLICY = `
calendar: { timezone: Europe/London, workingHours: "24/7", bankHolidays: none }
sla:
  default: { firstResponse: PT600S, resolution: PT1200S }
  categories:
    complaint: { firstResponse: PT8S, resolution: PT1200S }
unanswered: { threshold: 3 }
escalation:
  chain:
    - { role: team_manager,    ackWithin: PT8S,   respondWithin: PT600S }
    - { role: service_manager, ackWithin: PT600S, respondWithin: PT600S }
    - { role: head_of_service, ackWithin: PT600S, respondWithin: PT600S }
`;

describe('Redis flushed while the api and worker run (api + worker + SQLite + Redis)', () => {
  let dir: string;
  let redisServer: Awaited<ReturnType<typeof startThrowawayRedis>>;
  let smtp: Awaited<ReturnType<typeof startSmtpSink>>;
  let redis: Redis;
  let api: AppProcess;
  let worker: AppProcess;
  let env: Record<string, string>;
  const as: Record<string, ReturnType<ReturnType<typeof apiClient>['as']>> = {};
  const ids: Record<string, string> = {};

  const events = async (requestId: string, type?: string) => sqliteJourney.events(env, streamIdFor(requestId), type);
  const alertFor = async (who: string, requestId: string) =>
    (await as[who].get('/api/alerts')).body.find((a: { requestId: string }) => a.requestId === requestId);
  /** Alert emails (not the family's own messages, which carry the reference too) to `to` about `reference`. */
  const alertMails = (to: string, reference: string) => smtp.mails.filter((m) => m.to.includes(to) && m.raw.includes(reference));

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'send-redis-loss-'));
    writeFileSync(join(dir, 'policy.yaml'), POLICY);
    [redisServer, smtp] = await Promise.all([startThrowawayRedis(), startSmtpSink()]);
    env = {
      PORT: String(await freePort()),
      REDIS_URL: redisServer.url,
      ...sqliteJourney.env(dir),
      POLICY_FILE: join(dir, 'policy.yaml'),
      SMTP_URL: smtp.url,
      DEMO: 'true',
      TIMER_RECONCILE_EVERY: '3000', // and so the watch for a lost Redis, every 3 s
    };
    api = new AppProcess('api', env);
    await api.start((out) => out.includes('api listening'));
    worker = new AppProcess('worker', env);
    await worker.start((out) => out.includes('worker running'));
    redis = new Redis(redisServer.url);
    const client = apiClient(`http://127.0.0.1:${env.PORT}`);
    const signedIn = await client.signIn({
      parent: 'parent@example.org',
      officer: 'officer@example.org',
      manager: 'manager@example.org',
      serviceManager: 'service.manager@example.org',
    });
    Object.assign(as, signedIn.as);
    Object.assign(ids, signedIn.ids);
  }, 120_000);

  afterAll(async () => {
    redis?.disconnect();
    const ends = await Promise.all([api?.stop(), worker?.stop()]);
    await Promise.all([redisServer?.stop(), smtp?.stop()]);
    rmSync(dir, { recursive: true, force: true });
    expect(ends).toEqual(['SIGTERM', 'SIGTERM']);
  }, 60_000);

  it('timers come back within one reconcile interval: a lost deadline breaches and a lost ack timer climbs; read models are rebuilt; no alert emailed twice', async () => {
    // T: three unanswered attempts raise level 1 (the team manager); its ack timer (8 s) waits in Redis.
    const { body: t } = await as.parent.post('/api/requests', { category: 'transport', subject: 'Transport', message: 'No taxi.' });
    await as.officer.post(`/api/requests/${t.id}/assign`, { officerId: ids.officer });
    for (const channel of ['phone', 'email', 'phone'])
      expect((await as.parent.post(`/api/requests/${t.id}/attempts`, { channel })).status).toBe(201);
    await eventually(() => alertFor('manager', t.id), 15_000, 'the level-1 alert');
    await eventually(() => alertMails('manager@example.org', t.reference).length === 1, 15_000, 'the level-1 email');
    // C: a complaint whose first response (8 s) is due after the loss.
    const { body: c } = await as.parent.post('/api/requests', { category: 'complaint', subject: 'Complaint', message: 'Nobody answers.' });
    expect(c.reference).toBeDefined();

    await redis.flushall();
    expect(await events(c.id, 'SlaBreached')).toEqual([]); // lost before it fell due
    expect(await events(t.id, 'EscalationAdvanced')).toEqual([]);

    // The watch re-creates the reconcile job scheduler; the reconcile recreates both timers.
    await eventually(async () => (await redis.keys('bull:timers:repeat*')).length > 0, 10_000, 'the reconcile job scheduler again');
    const breaches = await eventually(
      async () => {
        const found = await events(c.id, 'SlaBreached');
        return found.length > 0 && found;
      },
      20_000,
      'the breach of the complaint',
    );
    expect(breaches[0].data).toMatchObject({ clock: 'first_response' });
    await eventually(async () => (await events(c.id, 'EscalationRaised')).length === 1, 15_000, 'the complaint escalated');
    await eventually(
      async () => (await events(t.id, 'EscalationAdvanced')).length === 1,
      20_000,
      'the advance from the recreated ack timer',
    );
    expect((await events(t.id, 'EscalationAdvanced'))[0].data).toMatchObject({ fromLevel: 1, toLevel: 2, reason: 'ack_timeout' });

    // The read models were rebuilt from the store: the service manager's list, the queue, every timeline.
    await eventually(async () => (await alertFor('serviceManager', t.id))?.level === 2, 20_000, 'level 2 on the service manager’s list');
    const queue = (await as.officer.get('/api/queue')).body.map((v: { id: string }) => v.id);
    expect(queue).toEqual(expect.arrayContaining([t.id]));
    for (const request of [t, c]) {
      const timeline = await eventually(
        async () => {
          const { body } = await as.parent.get(`/api/requests/${request.id}/timeline`);
          return body.length === (await events(request.id)).length && body;
        },
        15_000,
        `the timeline of ${request.reference}`,
      );
      expect(timeline.map((e: { type: string }) => e.type)).toEqual((await events(request.id)).map((e) => e.type));
    }

    // Alerts after the loss are emailed (the recipients read model was waited for, not found empty), each once.
    await eventually(() => alertMails('service.manager@example.org', t.reference).length === 1, 15_000, 'the level-2 email');
    await eventually(
      () => smtp.mails.some((m) => !m.to.includes('parent@example.org') && m.raw.includes(c.reference)),
      15_000,
      'the complaint’s alert email',
    );
    await new Promise((r) => setTimeout(r, 3000)); // a duplicate timer or job would have fired by now
    expect(await events(c.id, 'SlaBreached')).toHaveLength(1);
    expect(await events(c.id, 'EscalationRaised')).toHaveLength(1);
    expect(await events(t.id, 'EscalationAdvanced')).toHaveLength(1);
    expect(alertMails('manager@example.org', t.reference)).toHaveLength(1);
    expect(alertMails('service.manager@example.org', t.reference)).toHaveLength(1);
  }, 120_000);

  it('a worker restarted after the loss sends no past message again (the dispatchers’ checkpoints were written back)', async () => {
    const before = smtp.mails.length;
    await worker.stop();
    worker = new AppProcess('worker', env);
    await worker.start((out) => out.includes('worker running'));
    await new Promise((r) => setTimeout(r, 4000));
    // New alerts may follow (the complaint's ack timer climbs on); none is one sent before.
    const sentBefore = new Set(smtp.mails.slice(0, before).map(messageId));
    expect(
      smtp.mails
        .slice(before)
        .map(messageId)
        .filter((id) => sentBefore.has(id)),
    ).toEqual([]);
    expect(new Set(smtp.mails.map(messageId)).size).toBe(smtp.mails.length);
  }, 60_000);

  it('the read models rebuilt after the loss equal a fresh rebuild from the store, key by key', async () => {
    await worker.stop(); // nothing appends any more: the api is idle, the timers are the worker's
    const db = new Database(env.SQLITE_PATH, { readonly: true, fileMustExist: true });
    const where = PROJECTED_STREAM_PREFIXES.map(() => 'stream_id LIKE ?').join(' OR ');
    const head = db
      .prepare(`SELECT MAX(position) AS p FROM events WHERE ${where}`)
      .get(...PROJECTED_STREAM_PREFIXES.map((p) => `${p}%`)) as {
      p: number;
    };
    db.close();
    expect(await redis.get(keys.checkpoint(PROJECTIONS_NAME))).toBe(String(head.p)); // stopped after projecting everything
    const live = await readModels(redis);
    expect(Object.keys(live).length).toBeGreaterThan(10);

    const rebuilt = await promisify(execFile)(
      process.execPath,
      [resolve(__dirname, '../../dist/apps/worker/main.js'), 'rebuild-read-models'],
      {
        env: { ...process.env, ...env, NODE_ENV: 'test' },
      },
    );
    expect(rebuilt.stdout).toMatch(/Rebuilt read models from \d+ events/);
    expect(await readModels(redis)).toEqual(live);
  }, 60_000);
});
