import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pool } from 'pg';
import { v4 as uuid } from 'uuid';
import { REQUEST_STREAM_PREFIX, streamIdFor } from '@send/domain';
import { startSmtpSink } from '../support/smtp-sink';
import { apiClient, eventually, startSystem, startThrowawayRedis, type RunningSystem } from '../support/system';
import { POLICY } from './escalation-journey';

/**
 * Issue 12: two of everything on one PostgreSQL and one Redis. Two systems (`scripts/start.js`,
 * each an api and a worker) share the event store schema, the Redis, the SMTP server and the token
 * secret; families' commands go half to one api and half to the other, some of them at the same
 * moment on the same request. Then PostgreSQL and the mail sink are read directly: every fact once,
 * every alert email once, and both apis show the same requests.
 * Policy: the escalation journey's (24/7, seconds; level 1 is not acknowledged in 3 s: the chain climbs).
 */
type Api = ReturnType<ReturnType<typeof apiClient>['as']>;
type Reply = Awaited<ReturnType<Api['post']>>;
interface StoredEvent {
  id: string;
  stream_id: string;
  type: string;
  data: Record<string, any>;
}

/** A command's answer as API.md allows it: `ok`, or 409 (a conflict that retries could not settle). Never a 500. */
const expectOkOr409 = (reply: Reply, ok: number) => {
  if (reply.status !== ok && reply.status !== 409)
    throw new Error(`expected ${ok} or 409, got ${reply.status}: ${JSON.stringify(reply.body)}`);
};

/** The id of an email (the delivery job's id, ADR 0002) and who it went to. */
const messageIdOf = (raw: string) => /^message-id:\s*<([^>]+)>/im.exec(raw.replace(/\r?\n[ \t]+/g, ' '))?.[1];

const postgresUrl = process.env.POSTGRES_URL;
const describeOnPostgres = postgresUrl ? describe : describe.skip;

describeOnPostgres(
  'two apis and two workers on one PostgreSQL and one Redis (issue 12; set POSTGRES_URL, or run npm test with PostgreSQL installed)',
  () => {
    const schema = `send_e2e_${uuid().replace(/-/g, '').slice(0, 12)}`;
    let dir: string;
    let redisServer: Awaited<ReturnType<typeof startThrowawayRedis>>;
    let smtp: Awaited<ReturnType<typeof startSmtpSink>>;
    let systems: RunningSystem[] = [];
    let pg: Pool;
    /** Each person, signed in once, on each api: as[who][0] goes to the first system, as[who][1] to the second. */
    const as: Record<string, [Api, Api]> = {};

    const events = async (where = 'TRUE', params: unknown[] = [], order = 'position'): Promise<StoredEvent[]> =>
      (await pg.query<StoredEvent>(`SELECT id, stream_id, type, data FROM "${schema}".events WHERE ${where} ORDER BY ${order}`, params))
        .rows;
    const streamEvents = (requestId: string, type?: string) =>
      events(`stream_id = $1 ${type ? 'AND type = $2' : ''}`, [streamIdFor(requestId), ...(type ? [type] : [])]);

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'send-two-of-each-'));
      writeFileSync(join(dir, 'policy.yaml'), POLICY);
      [redisServer, smtp] = await Promise.all([startThrowawayRedis(), startSmtpSink()]);
      pg = new Pool({ connectionString: postgresUrl, max: 2 });
      const shared = {
        EVENT_STORE: 'postgres',
        POSTGRES_URL: postgresUrl!,
        POSTGRES_SCHEMA: schema,
        REDIS_URL: redisServer.url,
        POLICY_FILE: join(dir, 'policy.yaml'),
        SMTP_URL: smtp.url,
        DEMO: 'true',
        // scripts/start.js would make a secret per data folder: a token from one api must pass at the other.
        JWT_SECRET: randomBytes(32).toString('base64url'),
        TIMER_RECONCILE_EVERY: '600000',
        SKIP_BUILD: '1',
      };
      // Started together, as a deployment would: both migrate the schema and seed the demo users at once.
      const started = await Promise.allSettled([startSystem(shared), startSystem(shared)]);
      systems = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
      const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
      if (failed) throw failed.reason;

      const clients = systems.map((s) => apiClient(s.baseUrl)) as [ReturnType<typeof apiClient>, ReturnType<typeof apiClient>];
      for (const [i, [who, email]] of Object.entries({
        parent: 'parent@example.org',
        parent2: 'parent2@example.org',
        senco: 'senco@example.org',
        serviceManager: 'service.manager@example.org',
      }).entries()) {
        // Signed in at one api or the other; the token serves at both.
        const token = await clients[i % 2].login(email);
        as[who] = [clients[0].as(token), clients[1].as(token)];
      }
    }, 150_000);

    afterAll(async () => {
      const ends = await Promise.all(systems.map((s) => s.interrupt()));
      await pg?.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined);
      await pg?.end();
      await Promise.all([redisServer?.stop(), smtp?.stop()]);
      rmSync(dir, { recursive: true, force: true });
      expect(ends).toEqual(systems.map(() => 0)); // each launcher stopped its api and worker cleanly
    }, 60_000);

    it('families on both apis, concurrent commands, climbing timers: every event, alert and email once; both apis show the same', async () => {
      // ---- Several families submit, half through each api; one submission is sent to both apis at once.
      const families = ['parent', 'parent2', 'senco'];
      const submissions: Array<Promise<Reply>> = [];
      families.forEach((who, f) => {
        submissions.push(
          as[who][f % 2].post('/api/requests', { category: 'transport', subject: 'Transport', message: 'No taxi this week.' }),
        );
        submissions.push(
          as[who][(f + 1) % 2].post('/api/requests', { category: 'placement', subject: 'Placement', message: 'Which school?' }),
        );
      });
      const twinKey = uuid();
      const twinBody = { category: 'transport', subject: 'Transport, sent twice', message: 'No taxi again.' };
      const twins = await Promise.all([0, 1].map((api) => as.parent[api].post('/api/requests', twinBody, { 'idempotency-key': twinKey })));
      const replies = await Promise.all(submissions);
      for (const reply of [...replies, ...twins]) expect(reply.status).toBe(201);
      // The same command through two apis at once is one request, with one reference.
      expect(twins[1].body.id).toBe(twins[0].body.id);
      expect(twins[1].body.reference).toBe(twins[0].body.reference);
      const requests: Array<{ id: string; reference: string; requester: string }> = [
        ...replies.map((r, i) => ({ id: r.body.id, reference: r.body.reference, requester: families[Math.floor(i / 2)] })),
        { id: twins[0].body.id, reference: twins[0].body.reference, requester: 'parent' },
      ];
      expect(new Set(requests.map((r) => r.reference)).size).toBe(requests.length);

      // Two complaints, one per api: their first-response clock (3 s) breaches.
      const complaints = await Promise.all(
        [0, 1].map((api) =>
          as.parent2[api].post('/api/requests', { category: 'complaint', subject: 'Complaint', message: 'Nobody answers.' }),
        ),
      );
      for (const c of complaints) expect(c.status).toBe(201);

      // ---- Unanswered attempts past the threshold (3): four per request. Even requests get them one at a
      // time, alternating apis; odd ones all four at once, two through each api.
      await Promise.all(
        requests.map(async (request, r) => {
          const attempt = (n: number) =>
            as[request.requester][n % 2].post(`/api/requests/${request.id}/attempts`, { channel: n % 2 ? 'email' : 'phone' });
          if (r % 2 === 0) for (let n = 0; n < 4; n++) expect((await attempt(n)).status).toBe(201);
          else {
            const together = await Promise.all([0, 1, 2, 3].map(attempt));
            together.forEach((reply) => expectOkOr409(reply, 201));
            // A 409 recorded nothing (API.md): the family tries again until three are on record.
            for (let n = together.filter((reply) => reply.status === 201).length; n < 3; n++) expect((await attempt(n)).status).toBe(201);
          }
        }),
      );
      // A repeated attempt (one Idempotency-Key) through both apis at once records one attempt.
      const repeatKey = uuid();
      const repeated = await Promise.all(
        [0, 1].map((api) =>
          as[requests[0].requester][api].post(
            `/api/requests/${requests[0].id}/attempts`,
            { channel: 'phone' },
            { 'idempotency-key': repeatKey },
          ),
        ),
      );
      for (const reply of repeated) expect(reply.status).toBe(201);

      // ---- Every request escalates once; nobody acknowledges level 1 within 3 s, so each climbs to level 2.
      for (const request of requests) {
        await eventually(
          async () => (await streamEvents(request.id, 'EscalationAdvanced')).length > 0,
          30_000,
          `the advance of ${request.reference}`,
        );
      }
      const alerts = await eventually(
        async () => {
          const [first, second] = await Promise.all([0, 1].map((api) => as.serviceManager[api].get('/api/alerts?limit=500')));
          const mine = (body: Array<{ escalationId: string; requestId: string; level: number }>) =>
            requests.map((r) => body.find((a) => a.requestId === r.id && a.level === 2));
          const listed = mine(first.body);
          return (
            listed.every(Boolean) &&
            JSON.stringify(mine(second.body)) === JSON.stringify(listed) &&
            (listed as Array<{ escalationId: string }>)
          );
        },
        20_000,
        'every level-2 alert listed by both apis',
      );

      // ---- The service manager acknowledges: each through one api, and the first two through both at once.
      await Promise.all(
        alerts.map(async (alert, a) => {
          const acks =
            a < 2
              ? await Promise.all([0, 1].map((api) => as.serviceManager[api].post(`/api/alerts/${alert.escalationId}/acknowledge`, {})))
              : [await as.serviceManager[a % 2].post(`/api/alerts/${alert.escalationId}/acknowledge`, {})];
          for (const ack of acks) {
            expectOkOr409(ack, 200);
            if (ack.status === 200) expect(ack.body.escalation).toMatchObject({ status: 'acknowledged', level: 2 });
          }
        }),
      );

      // ---- And responds: one command (one Idempotency-Key) sent through both apis at once.
      await Promise.all(
        requests.map(async (request) => {
          const key = uuid();
          const body = { channel: 'phone', summary: 'Called back; sorted.' };
          const answers = await Promise.all(
            [0, 1].map((api) => as.serviceManager[api].post(`/api/requests/${request.id}/responses`, body, { 'idempotency-key': key })),
          );
          for (const answer of answers) {
            expect(answer.status).toBe(201);
            expect(answer.body.request.escalation).toMatchObject({ status: 'resolved' });
          }
        }),
      );

      const all = [
        ...requests,
        ...complaints.map((c) => ({ id: c.body.id as string, reference: c.body.reference as string, requester: 'parent2' })),
      ];
      for (const c of complaints) {
        // The breach raises an escalation, not acknowledged in 3 s either: it climbs to level 2 and waits there.
        await eventually(
          async () => (await streamEvents(c.body.id, 'EscalationAdvanced')).length > 0,
          30_000,
          `the advance of ${c.body.reference}`,
        );
      }
      // Every alert event has reached the mail sink (one email per recipient at least), but a breach that
      // raised an escalation in the same decision, which that escalation's email tells (libs/notifications' loadAlert).
      const alertTypes = ['EscalationRaised', 'EscalationAdvanced', 'EscalationRenotified', 'SlaBreached'];
      const toldByItsEscalation = (e: StoredEvent, next: StoredEvent | undefined) =>
        e.type === 'SlaBreached' &&
        next?.type === 'EscalationRaised' &&
        next.data.reason === 'sla_breached' &&
        next.data.raisedAt === e.data.breachedAt;
      const mailedAlertEvents = async () => {
        const stored = await events('stream_id LIKE $1', [`${REQUEST_STREAM_PREFIX}%`], 'stream_id, revision');
        return stored.filter(
          (e, i) =>
            alertTypes.includes(e.type) && !toldByItsEscalation(e, stored[i + 1]?.stream_id === e.stream_id ? stored[i + 1] : undefined),
        );
      };
      const alertEvents = await eventually(
        async () => {
          const found = await mailedAlertEvents();
          const mailed = new Set(smtp.mails.map((m) => messageIdOf(m.raw)?.split('|')[0]));
          return found.every((e) => mailed.has(e.id)) && found;
        },
        30_000,
        'an email for every alert event',
      );
      await new Promise((r) => setTimeout(r, 3000)); // a duplicate timer, projection or delivery would have shown by now
      expect((await mailedAlertEvents()).map((e) => e.id)).toEqual(alertEvents.map((e) => e.id)); // and nothing new was due

      // ---- PostgreSQL, read directly: every event once, every fact once.
      const stored = await events();
      expect(stored.length).toBe(new Set(stored.map((e) => e.id)).size);
      const factKey = (e: StoredEvent): string | null => {
        switch (e.type) {
          case 'EscalationRaised':
            return `${e.data.escalationId} raised at ${e.data.level}`;
          case 'EscalationAdvanced':
            return `${e.data.escalationId} advanced to ${e.data.toLevel}`;
          case 'EscalationAcknowledged':
            return `${e.data.escalationId} acknowledged at ${e.data.level}`;
          case 'EscalationResolved':
            return `${e.data.escalationId} resolved`;
          case 'SlaBreached':
            return `${e.stream_id} ${e.data.clock} breached (due ${e.data.dueAt})`;
          case 'UserRegistered':
            return `${e.stream_id} registered`;
          case 'CaseOpened':
            return `${e.stream_id} opened`;
          default:
            return null;
        }
      };
      const facts = stored.map(factKey).filter((k): k is string => k !== null);
      expect(facts.filter((k, i) => facts.indexOf(k) !== i)).toEqual([]);
      expect(stored.filter((e) => e.type === 'UserRegistered').length).toBeGreaterThan(0);

      for (const request of requests) {
        const stream = await streamEvents(request.id);
        const count = (type: string) => stream.filter((e) => e.type === type).length;
        expect({
          reference: request.reference,
          raised: count('EscalationRaised'),
          advanced: count('EscalationAdvanced'),
          responses: count('OfficerResponded'),
          resolved: count('EscalationResolved'),
        }).toEqual({
          reference: request.reference,
          raised: 1,
          advanced: 1,
          responses: 1,
          resolved: 1,
        });
      }
      // The repeated attempt was recorded once: requests[0] holds its four attempts and that one.
      expect((await streamEvents(requests[0].id, 'ContactAttemptRecorded')).length).toBe(5);
      for (const c of complaints) expect(await streamEvents(c.body.id, 'SlaBreached')).toHaveLength(1);

      // ---- The mail sink: every email once, and one per (escalation, level, recipient) or (breach, recipient).
      const messageIds = smtp.mails.map((m) => messageIdOf(m.raw));
      expect(messageIds.filter((id) => !id)).toEqual([]);
      expect(messageIds.filter((id, i) => messageIds.indexOf(id) !== i)).toEqual([]);
      const byId = new Map(alertEvents.map((e) => [e.id, e]));
      const alertMailKeys = smtp.mails.flatMap((mail) => {
        const id = messageIdOf(mail.raw)!;
        if (!id.endsWith('@send-alerts')) return [];
        const event = byId.get(id.split('|')[0]);
        if (!event) throw new Error(`an alert email for no alert event: ${id}`);
        const what =
          event.type === 'SlaBreached'
            ? `${event.stream_id} ${event.data.clock} breach`
            : `${event.data.escalationId} level ${event.data.level ?? event.data.toLevel}${event.type === 'EscalationRenotified' ? ` renotification ${event.data.renotification}` : ''}`;
        return mail.to.map((to) => `${what} to ${to}`);
      });
      expect(alertMailKeys.length).toBeGreaterThanOrEqual(alertEvents.length);
      expect(alertMailKeys.filter((k, i) => alertMailKeys.indexOf(k) !== i)).toEqual([]);

      // ---- The read models agree: each api shows each request as the other does, its timeline every event once.
      for (const request of all) {
        const storedTypes = (await streamEvents(request.id)).map((e) => e.type);
        const [first, second] = await eventually(
          async () => {
            const views = await Promise.all([0, 1].map((api) => as.serviceManager[api].get(`/api/requests/${request.id}`)));
            const timeline = await as.serviceManager[0].get(`/api/requests/${request.id}/timeline`);
            return timeline.body.length === storedTypes.length && views;
          },
          15_000,
          `the projection of ${request.reference}`,
        );
        expect(first.status).toBe(200);
        expect(second.body).toEqual(first.body);
        const timelines = await Promise.all([0, 1].map((api) => as.serviceManager[api].get(`/api/requests/${request.id}/timeline`)));
        expect(timelines[0].body.map((e: { type: string }) => e.type)).toEqual(storedTypes);
        expect(timelines[1].body).toEqual(timelines[0].body);
      }
    }, 120_000);
  },
);
