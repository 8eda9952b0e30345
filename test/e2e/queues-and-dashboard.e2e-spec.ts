import Redis from 'ioredis';
import { UsersRepository } from '@send/read-models';
import { apiClient, eventually, startSystem, startThrowawayRedis, type RunningSystem } from '../support/system';

/** Officers' queues, the team's unassigned queue, the timeline and the SLA dashboard over the API. */
describe('queues, timeline and dashboard over the API', () => {
  let redisServer: Awaited<ReturnType<typeof startThrowawayRedis>>;
  let system: RunningSystem;
  let api: ReturnType<typeof apiClient>;
  const as: Record<string, ReturnType<ReturnType<typeof apiClient>['as']>> = {};
  const ids: Record<string, string> = {};
  const before = new Date(Date.now() - 60_000).toISOString();

  beforeAll(async () => {
    redisServer = await startThrowawayRedis();
    system = await startSystem({ DEMO: 'true', REDIS_URL: redisServer.url });
    api = apiClient(system.baseUrl);
    const signedIn = await api.signIn({
      parent: 'parent@example.org',
      officer: 'officer@example.org',
      officer2: 'officer2@example.org',
      manager: 'manager@example.org',
    });
    Object.assign(as, signedIn.as);
    Object.assign(ids, signedIn.ids);
  }, 90_000);

  /** Whether the users read model, which routing reads, has this officer away now. */
  async function awayInReadModel(officerId: string): Promise<boolean> {
    const redis = new Redis(redisServer.url);
    try {
      return (await new UsersRepository(redis).awayAmong([officerId], new Date())).size === 1;
    } finally {
      await redis.quit();
    }
  }

  afterAll(async () => {
    expect(await system?.interrupt()).toBe(0);
    await redisServer?.stop();
  }, 60_000);

  it('lists new requests on the team queue, most urgent first; a claim moves one to the officer queue', async () => {
    // parent@ is a contact of one case only (C-1001, north, officer@): their requests are routed to
    // officer@. With officer@ away, they wait in north's team queue, needing cover.
    const away = await as.manager.put(`/api/officers/${ids.officer}/availability`, { awayFrom: before, awayUntil: null });
    expect(away.status).toBe(200);
    expect(away.body).toEqual({ officerId: ids.officer, awayFrom: before, awayUntil: null, awayNow: true });
    // The PUT answers once the users read model shows the change (routing reads who is away there),
    // so the requests below are routed with officer@ away: no wait here.
    expect(await awayInReadModel(ids.officer)).toBe(true);
    const normal = (await as.parent.post('/api/requests', { category: 'general', subject: 'Normal', message: 'When?' })).body;
    const urgent = (
      await as.parent.post('/api/requests', {
        category: 'placement',
        subject: 'Urgent',
        message: 'No school place from Monday',
        priority: 'urgent',
      })
    ).body;
    // A parent's "urgent" is a flag; staff confirm it, and its clocks run again from when it arrived.
    expect(urgent).toMatchObject({ priority: 'normal', requesterFlaggedUrgent: true });
    const confirmed = await as.officer2.post(`/api/requests/${urgent.id}/priority`, { priority: 'urgent' });
    expect(confirmed.status).toBe(200);
    expect(confirmed.body).toMatchObject({ priority: 'urgent', requesterFlaggedUrgent: true, receivedAt: urgent.receivedAt });
    expect(Date.parse(confirmed.body.due.firstResponseAt)).toBeLessThan(Date.parse(normal.due.firstResponseAt));
    const onTeamQueue = async () =>
      ((await as.officer2.get('/api/queue/team')).body as Array<{ id: string; priority: string }>).filter(
        (v) => v.id === normal.id || v.id === urgent.id,
      );
    // The read model catches up a moment later: wait for the confirmed priority to reach the row. Out of
    // working hours both requests' clocks start at the next working day's opening, so before then they
    // tie on due time and may list in either order.
    await eventually(
      async () => {
        const rows = await onTeamQueue();
        return rows.length === 2 && rows.some((v) => v.id === urgent.id && v.priority === 'urgent');
      },
      10_000,
      'both on the team queue, the urgent one confirmed',
    );
    // Then the order, from a page read afterwards: with an officer away (officer@ here), a team's page
    // reads the queues' order (ZRANGE) and then its rows (MGET), so the page that first showed the
    // confirmed row may have read the order just before the projection's MULTI moved it. (With nobody
    // away it is one script, order and rows together.) Once a row is seen, its place is in every later read.
    const teamQueue = (await onTeamQueue()).map((v) => v.id);
    expect(teamQueue).toEqual([urgent.id, normal.id]); // the urgent one is due first

    // Queue rows are slim: what a row shows, a subset of the request view (the rest is GET /api/requests/:id).
    const row = (await as.officer2.get('/api/queue/team')).body.find((v: { id: string }) => v.id === urgent.id);
    expect(urgent).toMatchObject({ caseRef: 'C-1001', teamId: 'north', assignee: null, needsCover: true });
    expect(row).toEqual({
      id: urgent.id,
      reference: urgent.reference,
      caseRef: urgent.caseRef,
      status: 'open',
      category: 'placement',
      priority: 'urgent',
      requesterRole: 'parent',
      assignee: urgent.assignee,
      teamId: urgent.teamId,
      needsCover: true,
      requesterFlaggedUrgent: true, // a parent asked for urgency; staff set the priority
      submittedAt: urgent.submittedAt,
      due: confirmed.body.due,
      unansweredAttempts: 0,
      lastAttemptAt: null,
      escalation: null,
    });

    // Paged: limit=1 answers the most urgent with a Link to the next page, which keeps the other parameters.
    const first = await as.officer2.get('/api/queue/team?limit=1&teamId=ignored');
    expect(first.body).toHaveLength(1);
    expect(first.link).toMatch(/^<\/api\/queue\/team\?limit=1&teamId=ignored&cursor=[A-Za-z0-9_-]+>; rel="next"$/);
    const walked: string[] = [];
    for (let page = first; ;) {
      walked.push(...page.body.map((v: { id: string }) => v.id));
      const next = page.link && /^<([^>]+)>; rel="next"$/.exec(page.link)![1];
      if (!next) break;
      page = await as.officer2.get(next);
      expect(page.status).toBe(200);
    }
    expect(walked.filter((id) => id === normal.id || id === urgent.id)).toEqual([urgent.id, normal.id]);
    expect(new Set(walked).size).toBe(walked.length);
    expect(walked).toEqual((await as.officer2.get('/api/queue/team?limit=500')).body.map((v: { id: string }) => v.id));

    const badLimit = await as.officer.get('/api/queue/team?limit=0');
    expect(badLimit.status).toBe(400);
    expect(badLimit.contentType).toContain('application/problem+json');
    expect(badLimit.body.errors).toEqual([expect.objectContaining({ field: 'limit' })]);
    const badCursor = await as.officer.get('/api/queue?cursor=nonsense');
    expect(badCursor.status).toBe(400);
    expect(badCursor.body.errors).toEqual([expect.objectContaining({ field: 'cursor' })]);
    expect((await as.manager.get('/api/alerts?limit=501')).status).toBe(400);

    // The requester's own list pages newest first, full request views.
    const mine = await as.parent.get('/api/requests?limit=1');
    expect(mine.body.map((v: { id: string }) => v.id)).toEqual([urgent.id]);
    expect(mine.body[0]).toMatchObject({ subject: 'Urgent', breaches: [] });
    expect(mine.link).toMatch(/^<\/api\/requests\?limit=1&cursor=[A-Za-z0-9_-]+>; rel="next"$/);
    const second = await as.parent.get(/^<([^>]+)>/.exec(mine.link!)![1]);
    expect(second.body.map((v: { id: string }) => v.id)).toEqual([normal.id]);

    await as.officer2.post(`/api/requests/${urgent.id}/assign`, { officerId: ids.officer2 });
    await eventually(
      async () => (await as.officer2.get('/api/queue')).body.some((v: { id: string }) => v.id === urgent.id),
      10_000,
      'the officer queue',
    );
    await eventually(
      async () => !(await as.officer2.get('/api/queue/team')).body.some((v: { id: string }) => v.id === urgent.id),
      10_000,
      'off the team queue',
    );
    expect((await as.manager.put(`/api/officers/${ids.officer}/availability`, { awayFrom: null, awayUntil: null })).body.awayNow).toBe(
      false,
    );
    // And back: the next test's request is routed to officer@ at once.
    expect(await awayInReadModel(ids.officer)).toBe(false);

    expect((await as.parent.get('/api/queue')).status).toBe(403);
  });

  it('shows the timeline oldest first, without the requester contact details', async () => {
    const request = (await as.parent.post('/api/requests', { category: 'transport', subject: 'Taxi', message: 'No taxi' })).body;
    await as.parent.post(`/api/requests/${request.id}/attempts`, { channel: 'phone' });
    const timeline = await eventually(
      async () => {
        const { body } = await as.parent.get(`/api/requests/${request.id}/timeline`);
        return body.length === 4 && body;
      },
      10_000,
      'the timeline',
    );
    // Routed by the family's one case to its officer, in the submission's own append.
    expect(timeline.map((e: { type: string }) => e.type)).toEqual([
      'ContactRequestSubmitted',
      'RequestRouted',
      'RequestAssigned',
      'ContactAttemptRecorded',
    ]);
    expect(timeline[1].data).toMatchObject({ rule: 'only_linked_case', caseRef: 'C-1001', teamId: 'north' });
    expect(timeline[0]).toMatchObject({ at: expect.any(String), actor: { role: 'parent' } });
    expect(JSON.stringify(timeline)).not.toContain('parent@example.org');
  });

  it('shows administrators the timer and notification queues (bull-board), and nobody else', async () => {
    expect((await fetch(`${system.baseUrl}/admin/queues`)).status).toBe(401);
    const officerToken = await api.login('officer@example.org');
    expect((await fetch(`${system.baseUrl}/admin/queues?access_token=${officerToken}`)).status).toBe(403);

    const adminToken = await api.login('admin@example.org');
    const page = await fetch(`${system.baseUrl}/admin/queues?access_token=${adminToken}`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    const cookie = page.headers.get('set-cookie')!.split(';')[0];
    const queues = await fetch(`${system.baseUrl}/admin/queues/api/queues`, { headers: { cookie } });
    expect(queues.status).toBe(200);
    const names = ((await queues.json()) as { queues: Array<{ name: string }> }).queues.map((q) => q.name).sort();
    expect(names).toEqual(['notifications', 'timers']);
  });

  it('gives managers the SLA dashboard, live and as of a past date', async () => {
    const live = await eventually(
      async () => {
        const { body } = await as.manager.get('/api/dashboard/sla?teamId=north');
        return body.open >= 1 && body;
      },
      10_000,
      'the dashboard',
    );
    expect(live).toMatchObject({
      open: expect.any(Number),
      overdue: 0,
      firstResponse: expect.any(Object),
      unanswered: expect.any(Object),
      escalations: expect.any(Object),
    });
    const all = (await as.manager.get('/api/dashboard/sla?teamId=north')).body;
    expect(Array.isArray(all.byWeek)).toBe(true);

    // The filters pick the requests every figure is of: by channel, category, requester and officer.
    for (const [filter, slices] of [
      ['channel', 'byChannel'],
      ['category', 'byCategory'],
      ['requesterRole', 'byRequesterRole'],
    ] as const) {
      const [one] = all[slices] as Array<Record<string, unknown> & { total: number }>;
      const picked = (await as.manager.get(`/api/dashboard/sla?teamId=north&${filter}=${one[filter]}`)).body;
      expect(picked.total).toBe(one.total);
      expect(picked[slices].map((s: Record<string, unknown>) => s[filter])).toEqual([one[filter]]);
      expect((await as.manager.get(`/api/dashboard/sla?teamId=north&${filter}=no-such-${filter}`)).body.total).toBe(0);
    }
    const [officer] = all.byOfficer as Array<{ officerId: string; total: number }>;
    expect((await as.manager.get(`/api/dashboard/sla?teamId=north&officerId=${officer.officerId}`)).body.total).toBe(officer.total);

    const past = await as.manager.get(`/api/dashboard/sla?asOf=${encodeURIComponent(before)}`);
    expect(past.status).toBe(200);
    expect(past.body.open).toBe(0);

    expect((await as.parent.get('/api/dashboard/sla')).status).toBe(403);
    expect((await as.manager.get('/api/dashboard/sla?from=yesterday')).status).toBe(400);
  });
});
