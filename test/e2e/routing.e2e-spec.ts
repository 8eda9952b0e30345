import { apiClient, eventually, startSystem, startThrowawayRedis, type RunningSystem } from '../support/system';

/**
 * Routing by the child's case, on the system as `npm start` runs it with the demo users and cases
 * (DEMO=true): a family's request reaches their case officer and team, and its alert that team's
 * manager; a request with no known case waits in triage, and its alert goes to the service managers.
 */
describe('routing by case (api + worker + SQLite + Redis, demo cases)', () => {
  let redisServer: Awaited<ReturnType<typeof startThrowawayRedis>>;
  let system: RunningSystem;
  const as: Record<string, ReturnType<ReturnType<typeof apiClient>['as']>> = {};
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    redisServer = await startThrowawayRedis();
    system = await startSystem({ DEMO: 'true', REDIS_URL: redisServer.url });
    const api = apiClient(system.baseUrl);
    const people = ['parent', 'officer', 'manager', 'manager2', 'service.manager'].map((who) => [who, `${who}@example.org`]);
    const signedIn = await api.signIn(Object.fromEntries(people));
    Object.assign(as, signedIn.as);
    Object.assign(ids, signedIn.ids);
    // Routing reads the cases read model, which the worker fills from the demo cases after start
    // (seen in CI under load: a request sent first went to triage): the parent's case first.
    await eventually(
      async () => (await as.parent.get('/api/me/cases')).body?.some((c: { caseRef: string }) => c.caseRef === 'C-1001'),
      30_000,
      "the parent's demo case in the cases read model",
    );
  }, 90_000);

  afterAll(async () => {
    expect(await system?.interrupt()).toBe(0);
    await redisServer?.stop();
  }, 60_000);

  const alertFor = (who: string, requestId: string) => async () =>
    (await as[who].get('/api/alerts')).body.find((a: { requestId: string }) => a.requestId === requestId);
  const tryThreeTimes = async (requestId: string) => {
    for (const channel of ['phone', 'email', 'phone'])
      expect((await as.parent.post(`/api/requests/${requestId}/attempts`, { channel })).status).toBe(201);
  };

  it("routes a parent's request with no case named to their case officer in team north; its alert reaches manager@, not manager2@", async () => {
    const submitted = await as.parent.post('/api/requests', {
      category: 'ehc_plan',
      subject: 'Draft plan',
      message: 'Is the draft plan ready?',
    });
    expect(submitted.status).toBe(201);
    expect(submitted.body).toMatchObject({
      caseRef: 'C-1001',
      teamId: 'north',
      status: 'assigned',
      assignee: { id: ids.officer, name: expect.any(String) },
    });
    const id = submitted.body.id;
    await eventually(
      async () => (await as.officer.get('/api/queue')).body.some((e: { id: string }) => e.id === id),
      10_000,
      "officer@'s queue",
    );

    await tryThreeTimes(id);
    const alert = await eventually(alertFor('manager', id), 10_000, "the alert in manager@'s list");
    expect(alert).toMatchObject({ level: 1, reason: 'repeated_unanswered', unansweredCount: 3, ownerAway: false });
    expect(await alertFor('manager2', id)()).toBeUndefined();
    expect(await alertFor('service.manager', id)()).toBeUndefined(); // level 1 is the team manager's
    // manager2@ cannot even acknowledge it: as far as they know it does not exist.
    expect((await as.manager2.post(`/api/alerts/${alert.escalationId}/acknowledge`, {})).status).toBe(404);
    expect((await as.manager.post(`/api/alerts/${alert.escalationId}/acknowledge`, {})).status).toBe(200);
  });

  it('sends a request naming an unknown case to triage, where every officer sees it and its alert goes to the service managers', async () => {
    const submitted = await as.parent.post('/api/requests', {
      caseRef: 'C-9999',
      category: 'transport',
      subject: 'Taxi',
      message: 'No taxi today.',
    });
    expect(submitted.status).toBe(201);
    expect(submitted.body).toMatchObject({ caseRef: 'C-9999', teamId: null, assignee: null, status: 'open' });
    const id = submitted.body.id;
    await eventually(
      async () => (await as.officer.get('/api/queue/triage')).body.some((e: { id: string }) => e.id === id),
      10_000,
      'triage',
    );
    expect((await as.officer.get('/api/queue/team?limit=500')).body.some((e: { id: string }) => e.id === id)).toBe(false);
    const timeline = (await as.parent.get(`/api/requests/${id}/timeline`)).body;
    expect(timeline.find((e: { type: string }) => e.type === 'RequestRouted').data).toMatchObject({
      rule: 'case_not_matched',
      caseRef: null,
      teamId: null,
    });

    await tryThreeTimes(id);
    const alert = await eventually(alertFor('service.manager', id), 10_000, "the alert in the service manager's list");
    expect(alert).toMatchObject({ level: 1, unansweredCount: 3 });
    expect(await alertFor('manager', id)()).toBeUndefined();

    // An officer sends it to the right case: it goes to that case's officer and team.
    const routed = await as.officer.post(`/api/requests/${id}/route`, { caseRef: 'C-1001' });
    expect(routed.status).toBe(200);
    expect(routed.body).toMatchObject({ caseRef: 'C-1001', teamId: 'north', assignee: { id: ids.officer } });
    await eventually(
      async () => !(await as.officer.get('/api/queue/triage')).body.some((e: { id: string }) => e.id === id),
      10_000,
      'off triage',
    );
  });
});
