import Redis from 'ioredis';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { v4 as uuid } from 'uuid';
import { REQUEST_STREAM_PREFIX, streamIdFor } from '@send/domain';
import { AppProcess } from '../support/processes';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink';
import { apiClient, eventually, freePort, startThrowawayRedis } from '../support/system';
import { messageIdOf, POLICY, type StoredRow, type StoreUnderJourney } from './escalation-journey';

/**
 * Issues 12 and 13: two of everything on one event store and one Redis. Two apis and two workers
 * (the built apps, each a process of its own) share the store, the Redis, the SMTP server and the
 * token secret; families' commands go half to one api and half to the other, some of them at the
 * same moment on the same request, and while they come the worker holding the projections lease
 * is killed: the other takes it within the lease's time to live. Then the store and the mail sink
 * are read directly: every fact once, every alert email once, and both apis show the same requests.
 * Policy: the escalation journey's (24/7, seconds; level 1 is not acknowledged in 3 s: the chain climbs).
 */
type Api = ReturnType<ReturnType<typeof apiClient>['as']>;
type Reply = Awaited<ReturnType<Api['post']>>;
type StoredEvent = StoredRow;

/** A command's answer as API.md allows it: `ok`, or 409 (a conflict that retries could not settle). Never a 500. */
const expectOkOr409 = (reply: Reply, ok: number) => {
  if (reply.status !== ok && reply.status !== 409)
    throw new Error(`expected ${ok} or 409, got ${reply.status}: ${JSON.stringify(reply.body)}`);
};

/** The projections lease (ProjectionsRunner's defaults, which the worker uses): its time to live, and how often a standby asks. */
const LEASE_KEY = 'lease:projections';
const LEASE_TTL_MS = 15_000;
const LEASE_POLL_MS = 1_000;

export function twoOfEverything(name: string, store: StoreUnderJourney): void {
  describe(`two apis and two workers on one ${name} and one Redis (issues 12 and 13)`, () => {
    let dir: string;
    let env: Record<string, string>;
    let redisServer: Awaited<ReturnType<typeof startThrowawayRedis>>;
    let redis: Redis;
    let smtp: SmtpSink;
    let apis: AppProcess[] = [];
    let workers: AppProcess[] = [];
    /** Each person, signed in once, on each api: as[who][0] goes to the first api, as[who][1] to the second. */
    const as: Record<string, [Api, Api]> = {};

    const events = (): Promise<StoredEvent[]> => store.allEvents(env);
    const streamEvents = async (requestId: string, type?: string) =>
      (await events()).filter((e) => e.stream_id === streamIdFor(requestId) && (!type || e.type === type));
    const startWorker = async () => {
      const worker = new AppProcess('worker', env);
      await worker.start((out) => out.includes('worker running'));
      return worker;
    };

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'send-two-of-each-'));
      writeFileSync(join(dir, 'policy.yaml'), POLICY);
      [redisServer, smtp] = await Promise.all([startThrowawayRedis(), startSmtpSink()]);
      redis = new Redis(redisServer.url);
      env = {
        ...store.env(dir),
        REDIS_URL: redisServer.url,
        POLICY_FILE: join(dir, 'policy.yaml'),
        SMTP_URL: smtp.url,
        DEMO: 'true',
        // One secret for both: a token from one api must pass at the other.
        JWT_SECRET: randomBytes(32).toString('base64url'),
        TIMER_RECONCILE_EVERY: '600000',
        // A job the killed worker held is run again by the other within seconds, not a minute.
        JOB_LOCK_DURATION: '3000',
      };
      const ports = [await freePort(), await freePort()];
      apis = ports.map((port) => new AppProcess('api', { ...env, PORT: String(port) }));
      const first = new AppProcess('worker', env);
      workers = [first];
      // Started together, as a deployment would: both apis migrate the store and seed the demo users at once.
      const started = await Promise.allSettled([
        ...apis.map((api) => api.start((out) => out.includes('api listening'))),
        first.start((out) => out.includes('worker running')),
      ]);
      const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
      if (failed) throw failed.reason;
      // The second worker once the first holds the lease: the test knows which one to kill.
      await eventually(() => redis.get(LEASE_KEY), 20_000, 'the first worker holding the projections lease');
      workers.push(await startWorker());

      const clients = ports.map((port) => apiClient(`http://127.0.0.1:${port}`));
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
    }, 240_000);

    afterAll(async () => {
      redis?.disconnect();
      const ends = await Promise.all([...apis, ...workers].map((p) => p.stop()));
      await Promise.all([redisServer?.stop(), smtp?.stop()]);
      if (env) await store.cleanup(env);
      rmSync(dir, { recursive: true, force: true });
      // Each ran its shutdown hooks and ended by the re-raised SIGTERM, not the SIGKILL of a hang.
      expect(ends).toEqual([...apis, ...workers].map(() => 'SIGTERM'));
    }, 60_000);

    /**
     * SIGKILL to the worker holding the projections lease, at a moment the test chooses: while the
     * mail sink holds its answers, so the worker dies with no email accepted that it did not hear
     * was (that one it would rightly send again: at least once, ADR 0002). The standby takes the
     * lease once its time to live runs out; the killed worker, started again, stands by.
     */
    const killTheLeaseHolder = async () => {
      const holder = await redis.get(LEASE_KEY);
      expect(holder).toBeTruthy();
      smtp.hold();
      await new Promise((r) => setTimeout(r, 500)); // an email answered just before has been heard of
      await workers[0].kill();
      const killedAt = Date.now();
      smtp.release();
      const taken = await eventually(
        async () => {
          const now = await redis.get(LEASE_KEY);
          return now !== null && now !== holder && now;
        },
        LEASE_TTL_MS + 10_000,
        'the other worker taking the projections lease',
      );
      // Within the lease's time to live (from its last renewal, before the kill) and the standby's next try
      // after it; the slack is for timers that slip on a busy machine, not for a second lease time.
      expect(Date.now() - killedAt).toBeLessThanOrEqual(LEASE_TTL_MS + LEASE_POLL_MS + 5_000);
      workers[0] = await startWorker();
      await new Promise((r) => setTimeout(r, LEASE_POLL_MS * 2));
      expect(await redis.get(LEASE_KEY)).toBe(taken); // the restarted worker stands by
    };

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

      // Every alert event has reached the mail sink (one email per recipient at least), but a breach that
      // raised an escalation in the same decision, which that escalation's email tells (libs/notifications' loadAlert).
      const alertTypes = ['EscalationRaised', 'EscalationAdvanced', 'EscalationRenotified', 'SlaBreached'];
      const toldByItsEscalation = (e: StoredEvent, next: StoredEvent | undefined) =>
        e.type === 'SlaBreached' &&
        next?.type === 'EscalationRaised' &&
        next.data.reason === 'sla_breached' &&
        next.data.raisedAt === e.data.breachedAt;
      const mailedAlertEvents = async () => {
        const stored = (await events())
          .filter((e) => e.stream_id.startsWith(REQUEST_STREAM_PREFIX))
          .sort((a, b) => (a.stream_id === b.stream_id ? a.revision - b.revision : a.stream_id < b.stream_id ? -1 : 1));
        return stored.filter(
          (e, i) =>
            alertTypes.includes(e.type) && !toldByItsEscalation(e, stored[i + 1]?.stream_id === e.stream_id ? stored[i + 1] : undefined),
        );
      };
      const everyAlertMailed = async () => {
        const found = await mailedAlertEvents();
        const mailed = new Set(smtp.mails.map((m) => messageIdOf(m.raw)?.split('|')[0]));
        return found.every((e) => mailed.has(e.id)) && found;
      };
      // ---- Under the load of what follows, the worker holding the projections lease is killed. No alert
      // falls due meanwhile: every one so far has gone out (and none waits on a 3 s acknowledgement, which a
      // late dispatch would rightly find settled and not send: loadAlert's isSettled). Every request and
      // complaint stands at level 2.
      for (const c of complaints) {
        await eventually(
          async () => (await streamEvents(c.body.id, 'EscalationAdvanced')).length > 0,
          30_000,
          `the advance of ${c.body.reference}`,
        );
      }
      await eventually(everyAlertMailed, 30_000, 'an email for every alert event before the kill');
      const killed = killTheLeaseHolder();
      killed.catch(() => undefined); // awaited below, after the load

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
      await killed;

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
      const alertEvents = await eventually(everyAlertMailed, 30_000, 'an email for every alert event').catch(async (error: Error) => {
        // What a failure needs to be understood: the events with no email, their delivery jobs, the workers' logs.
        const mailed = new Set(smtp.mails.map((m) => messageIdOf(m.raw)?.split('|')[0]));
        const missing = (await mailedAlertEvents()).filter((e) => !mailed.has(e.id));
        const jobs = await Promise.all(missing.map(async (e) => [e.type, e.id, await redis.keys(`bull:notifications:${e.id}*`)] as const));
        const states = await Promise.all(
          jobs.flatMap(([, , keys]) => keys.filter((k) => !k.endsWith(':lock')).map(async (k) => [k, await redis.hgetall(k)] as const)),
        );
        throw new Error(
          `${error.message}\nmissing: ${JSON.stringify(jobs)}\njobs: ${JSON.stringify(states)}\nsink: ${smtp.mails.length} accepted, ${smtp.held.length} held, ${smtp.dropped} dropped\n` +
            workers.map((w) => w.output().slice(-3000)).join('\n----\n'),
        );
      });
      await new Promise((r) => setTimeout(r, 3000)); // a duplicate timer, projection or delivery would have shown by now
      expect((await mailedAlertEvents()).map((e) => e.id)).toEqual(alertEvents.map((e) => e.id)); // and nothing new was due

      // ---- The store, read directly: every event once, every fact once.
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
    }, 180_000);
  });
}
