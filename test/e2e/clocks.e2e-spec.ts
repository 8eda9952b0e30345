import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppProcess } from '../support/processes';
import { apiClient, eventually, freePort, startThrowawayRedis } from '../support/system';

/**
 * The clocks a council can defend (issue 10), end to end on the real api + worker + SQLite + Redis
 * with a seconds-scale 24/7 policy: a holding reply leaves the escalation open and its update clock
 * breaches; a full reply answers; resolving without a reply needs a reason; the family reopens; a
 * new escalation starts at the level the last one reached.
 */
const POLICY = `
calendar: { timezone: Europe/London, workingHours: "24/7", bankHolidays: none }
sla:
  default: { firstResponse: PT600S, resolution: PT1200S }
  dueAt: exact
  updateWithin: PT3S
  reopenWithin: PT600S
unanswered: { threshold: 3 }
escalation:
  memory: PT600S
  chain:
    - { role: team_manager,    ackWithin: PT600S, respondWithin: PT600S }
    - { role: service_manager, ackWithin: PT600S, respondWithin: PT600S }
    - { role: head_of_service, ackWithin: PT600S, respondWithin: PT600S }
`;

describe('replies, clocks and reopening (api + worker + SQLite + Redis, seconds-scale policy)', () => {
  let dir: string;
  let redisServer: Awaited<ReturnType<typeof startThrowawayRedis>>;
  let api: AppProcess;
  let worker: AppProcess;
  const as: Record<string, ReturnType<ReturnType<typeof apiClient>['as']>> = {};

  const view = async (id: string) => (await as.officer.get(`/api/requests/${id}`)).body;
  const tryThreeTimes = async (requestId: string) => {
    for (const channel of ['phone', 'email', 'phone'])
      expect((await as.parent.post(`/api/requests/${requestId}/attempts`, { channel })).status).toBe(201);
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'send-clocks-'));
    writeFileSync(join(dir, 'policy.yaml'), POLICY);
    redisServer = await startThrowawayRedis();
    const env = {
      PORT: String(await freePort()),
      REDIS_URL: redisServer.url,
      SQLITE_PATH: join(dir, 'events.db'),
      POLICY_FILE: join(dir, 'policy.yaml'),
      DEMO: 'true',
      TIMER_RECONCILE_EVERY: '600000',
    };
    api = new AppProcess('api', env);
    await api.start((out) => out.includes('api listening'));
    worker = new AppProcess('worker', env);
    await worker.start((out) => out.includes('worker running'));
    const client = apiClient(`http://127.0.0.1:${env.PORT}`);
    for (const who of ['parent', 'officer', 'manager', 'service.manager']) as[who] = client.as(await client.login(`${who}@example.org`));
  }, 120_000);

  afterAll(async () => {
    await Promise.all([api?.stop(), worker?.stop()]);
    await redisServer?.stop();
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('says on its start line the CPU priority it runs at (WORKER_NICE, by default as started)', () => {
    expect(worker.output()).toMatch(/worker running \(event store: sqlite, .*\) at its starting priority \(WORKER_NICE=0\)/);
  });

  it('a holding reply leaves the escalation open and its update clock breaches and moves it up; a full reply answers the family', async () => {
    const { body: request } = await as.parent.post('/api/requests', {
      category: 'transport',
      subject: 'Taxi',
      message: 'No taxi this week.',
    });
    await tryThreeTimes(request.id);
    const escalated = await eventually(async () => (await view(request.id)).escalation, 10_000, 'the escalation');
    expect(escalated).toMatchObject({ level: 1, status: 'open' });

    const holding = await as.officer.post(`/api/requests/${request.id}/responses`, {
      channel: 'phone',
      summary: 'Looking into it',
      kind: 'holding',
    });
    expect(holding.status).toBe(201);
    expect(holding.body.request).toMatchObject({ unansweredAttempts: 0, escalation: { status: 'open' }, updateDueAt: expect.any(String) });
    expect(holding.body.request.firstRespondedAt).not.toBeNull();

    // No update within PT3S: the update clock breaches (the worker's timer) and the escalation climbs.
    const late = await eventually(
      async () => {
        const v = await view(request.id);
        return v.breaches.some((b: { clock: string }) => b.clock === 'update') && v.escalation.level === 2 && v;
      },
      15_000,
      'the update breach and level 2',
    );
    expect(late.escalation).toMatchObject({ status: 'open', level: 2 });

    const full = await as.officer.post(`/api/requests/${request.id}/responses`, { channel: 'phone', summary: 'Taxi booked from Monday' });
    expect(full.body.request).toMatchObject({ escalation: { status: 'resolved' }, updateDueAt: null });
  });

  it('resolving without a reply needs a reason; the family reopens; a new escalation starts at the level the last one reached', async () => {
    const { body: request } = await as.parent.post('/api/requests', {
      category: 'general',
      subject: 'Plan',
      message: 'Where is the plan?',
    });
    const refused = await as.officer.post(`/api/requests/${request.id}/resolve`, { outcome: 'Sent by post' });
    expect([refused.status, refused.body.type]).toEqual([422, expect.stringContaining('reply-needed')]);

    // Escalated, then a holding reply whose update never comes: the escalation climbs to level 2 (the
    // service manager). Then a full reply answers it, and the request is resolved.
    await tryThreeTimes(request.id);
    const first = await eventually(async () => (await view(request.id)).escalation, 10_000, 'the escalation');
    await as.officer.post(`/api/requests/${request.id}/responses`, { channel: 'email', summary: 'Checking', kind: 'holding' });
    await eventually(async () => (await view(request.id)).escalation.level === 2, 15_000, 'level 2 after the missed update');
    const answered = await as.officer.post(`/api/requests/${request.id}/responses`, { channel: 'email', summary: 'Plan attached' });
    expect(answered.body.request.escalation).toMatchObject({ id: first.id, level: 2, status: 'resolved' });
    const resolved = await as.officer.post(`/api/requests/${request.id}/resolve`, { outcome: 'Plan sent' });
    expect([resolved.status, resolved.body.status]).toEqual([200, 'resolved']);

    // The family reopens within sla.reopenWithin; clocks start again.
    const reopened = await as.parent.post(`/api/requests/${request.id}/reopen`, { reason: 'The plan is the wrong child’s' });
    expect([reopened.status, reopened.body.status, reopened.body.resolvedAt]).toEqual([200, 'assigned', null]);

    // Three more unanswered attempts: within escalation.memory, the new escalation starts at level 2,
    // in the service manager's list, not back with the team manager.
    await tryThreeTimes(request.id);
    const again = await eventually(
      async () => {
        const v = await view(request.id);
        return v.escalation && v.escalation.id !== first.id && v.escalation;
      },
      10_000,
      'a second escalation',
    );
    expect(again).toMatchObject({ level: 2, status: 'open' });
    const inList = async (who: string) =>
      (await as[who].get('/api/alerts')).body.some((a: { escalationId: string }) => a.escalationId === again.id);
    await eventually(() => inList('service.manager'), 10_000, "the service manager's list");
    expect(await inList('manager')).toBe(true); // team managers see their team's alerts at every level
  });
});
