import Redis from 'ioredis';
import { recordOf } from '@send/read-models';
import { apiClient, eventually, startSystem, startThrowawayRedis, type RunningSystem } from '../support/system';

/** A request's life through the API: attempts, claim, failed call-back, response, resolve, and the rules around them. */
describe('request lifecycle over the API', () => {
  let redisServer: Awaited<ReturnType<typeof startThrowawayRedis>>;
  let system: RunningSystem;
  let api: ReturnType<typeof apiClient>;
  let parent: ReturnType<ReturnType<typeof apiClient>['as']>;
  let officer: ReturnType<ReturnType<typeof apiClient>['as']>;
  let officerId: string;

  beforeAll(async () => {
    redisServer = await startThrowawayRedis();
    system = await startSystem({ DEMO: 'true', REDIS_URL: redisServer.url });
    api = apiClient(system.baseUrl);
    parent = api.as(await api.login('parent@example.org'));
    const login = await api.call('POST', '/api/auth/login', { email: 'officer@example.org', password: 'demo' });
    officer = api.as(login.body.token);
    officerId = login.body.user.id;
  }, 90_000);

  afterAll(async () => {
    expect(await system?.interrupt()).toBe(0);
    await redisServer?.stop();
  }, 60_000);

  const submit = async () =>
    (await parent.post('/api/requests', { category: 'placement', subject: 'School place', message: 'Which school?' })).body;

  it('counts unanswered attempts; a failed call-back is effort, not a response; a response clears them', async () => {
    const request = await submit();
    const first = await parent.post(`/api/requests/${request.id}/attempts`, { channel: 'phone' });
    expect(first.status).toBe(201);
    expect(first.body.request.unansweredAttempts).toBe(1);
    expect((await parent.post(`/api/requests/${request.id}/attempts`, { channel: 'email' })).body.request.unansweredAttempts).toBe(2);

    const claimed = await officer.post(`/api/requests/${request.id}/assign`, { officerId });
    expect(claimed.status).toBe(200);
    expect(claimed.body).toMatchObject({ status: 'assigned', assignee: { id: officerId }, teamId: 'north' });

    const failed = await officer.post(`/api/requests/${request.id}/call-back-failed`, {});
    expect(failed.status).toBe(201);
    expect(failed.body.unansweredAttempts).toBe(2);
    expect(failed.body.firstRespondedAt).toBeNull();

    const responded = await officer.post(`/api/requests/${request.id}/responses`, {
      channel: 'phone',
      summary: 'Called back; explained the consultation.',
    });
    expect(responded.status).toBe(201);
    expect(responded.body.request).toMatchObject({ status: 'responded', unansweredAttempts: 0, firstRespondedAt: expect.any(String) });

    const resolved = await officer.post(`/api/requests/${request.id}/resolve`, { outcome: 'Place confirmed' });
    expect(resolved.status).toBe(200);
    expect(resolved.body.status).toBe('resolved');
  });

  it('answers every request command with the very view the projection then stores', async () => {
    const redis = new Redis(redisServer.url);
    const manager = api.as(await api.login('manager@example.org'));
    const serviceManager = api.as(await api.login('service.manager@example.org'));
    // The projection stores the state and the assignee's name; its view is made on read (recordOf, as RequestViewsRepository reads it).
    const stored = async (id: string) => {
      const record = JSON.parse((await redis.get(`rm:request:${id}`)) ?? 'null');
      return record && recordOf(record).view;
    };
    const projectedAs = async (answer: { id: string }, command: string) => {
      // The projection runs milliseconds behind: wait for it to store this answer, then it must be equal.
      const view = await eventually(
        async () => {
          const v = await stored(answer.id);
          return v && JSON.stringify(v) === JSON.stringify(answer) && v;
        },
        10_000,
        `the projected view after ${command}`,
      ).catch(async () => stored(answer.id));
      expect({ command, view }).toEqual({ command, view: answer });
    };
    try {
      const request = await submit();
      await projectedAs(request, 'submit');
      for (const channel of ['phone', 'email', 'portal']) {
        const attempt = await parent.post(`/api/requests/${request.id}/attempts`, { channel });
        await projectedAs(attempt.body.request, `attempt by ${channel}`);
      }
      const escalated = (await parent.get(`/api/requests/${request.id}`)).body;
      expect(escalated.escalation).toMatchObject({ level: 1, status: 'open' });
      await projectedAs((await officer.post(`/api/requests/${request.id}/assign`, { officerId })).body, 'assign');
      await projectedAs((await officer.post(`/api/requests/${request.id}/call-back-failed`, {})).body, 'call-back-failed');
      await projectedAs((await manager.post(`/api/alerts/${escalated.escalation.id}/acknowledge`, {})).body, 'acknowledge');
      await projectedAs((await officer.post(`/api/requests/${request.id}/priority`, { priority: 'urgent' })).body, 'priority');
      await projectedAs((await serviceManager.post(`/api/requests/${request.id}/route`, { teamId: 'south' })).body, 'route to a team');
      await projectedAs((await serviceManager.post(`/api/requests/${request.id}/route`, { caseRef: 'C-1001' })).body, 'route to a case');
      await projectedAs(
        (await officer.post(`/api/requests/${request.id}/responses`, { channel: 'email', summary: 'Looking into it.', kind: 'holding' }))
          .body.request,
        'holding reply',
      );
      await projectedAs(
        (await officer.post(`/api/requests/${request.id}/responses`, { channel: 'phone', summary: 'Called back.' })).body.request,
        'respond',
      );
      await projectedAs((await officer.post(`/api/requests/${request.id}/resolve`, { outcome: 'Answered' })).body, 'resolve');
      await projectedAs((await parent.post(`/api/requests/${request.id}/reopen`, { reason: 'The letter never came.' })).body, 'reopen');
    } finally {
      await redis.quit();
    }
  });

  it('needs a reason to resolve without a reply, refuses replies once resolved, and reopens when the family gets in touch again', async () => {
    const request = await submit();
    const noReason = await officer.post(`/api/requests/${request.id}/resolve`, { outcome: 'Answered by letter' });
    expect([noReason.status, noReason.body.type]).toEqual([422, expect.stringContaining('reply-needed')]);
    expect(noReason.contentType).toContain('application/problem+json');
    const resolved = await officer.post(`/api/requests/${request.id}/resolve`, {
      outcome: 'Answered by letter',
      withoutReply: { reason: 'answered_outside', answeredAt: new Date().toISOString() },
    });
    expect([resolved.status, resolved.body.status]).toEqual([200, 'resolved']);
    expect((await officer.post(`/api/requests/${request.id}/responses`, { channel: 'email', summary: 'x' })).status).toBe(422);

    // Within sla.reopenWithin, the family's call reopens it rather than being turned away.
    const attempt = await parent.post(`/api/requests/${request.id}/attempts`, { channel: 'phone' });
    expect(attempt.status).toBe(201);
    expect(attempt.body.request).toMatchObject({ status: 'assigned', unansweredAttempts: 1, resolvedAt: null });

    // The family may reopen themselves too; staff at any time.
    await officer.post(`/api/requests/${request.id}/responses`, { channel: 'phone', summary: 'Explained the plan' });
    await officer.post(`/api/requests/${request.id}/resolve`, { outcome: 'Plan agreed' });
    const reopened = await parent.post(`/api/requests/${request.id}/reopen`, { reason: 'The plan was not sent' });
    expect([reopened.status, reopened.body.status]).toEqual([200, 'assigned']);
  });

  it('checks roles and ownership', async () => {
    const request = await submit();
    const parent2 = api.as(await api.login('parent2@example.org'));
    expect((await parent2.post(`/api/requests/${request.id}/attempts`, { channel: 'phone' })).status).toBe(404);
    expect((await parent.post(`/api/requests/${request.id}/responses`, { channel: 'phone', summary: 'x' })).status).toBe(403);
    expect((await parent.post(`/api/requests/${request.id}/resolve`, { outcome: 'x' })).status).toBe(403);

    const other = await api.call('POST', '/api/auth/login', { email: 'officer2@example.org', password: 'demo' });
    expect((await officer.post(`/api/requests/${request.id}/assign`, { officerId: other.body.user.id })).status).toBe(403);
    const southManager = api.as(await api.login('manager2@example.org'));
    expect((await southManager.post(`/api/requests/${request.id}/assign`, { officerId: other.body.user.id })).status).toBe(403);
    const manager = api.as(await api.login('manager@example.org'));
    expect((await manager.post(`/api/requests/${request.id}/assign`, { officerId: other.body.user.id })).status).toBe(200);
  });

  it('validates command bodies with 400 problem+json naming the field', async () => {
    const request = await submit();
    const bad = await parent.post(`/api/requests/${request.id}/attempts`, { channel: 'pigeon', at: 'yesterday' });
    expect(bad.status).toBe(400);
    expect(bad.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['at', 'channel']);
    expect((await officer.post(`/api/requests/${request.id}/assign`, { officerId: 'not-a-uuid' })).status).toBe(400);
    expect((await officer.post(`/api/requests/${request.id}/responses`, { channel: 'phone' })).body.errors).toEqual([
      { field: 'summary', message: 'is required' },
    ]);
  });

  it('a retried attempt with the same Idempotency-Key counts once', async () => {
    const request = await submit();
    const headers = { 'Idempotency-Key': 'attempt-1' };
    const first = await parent.post(`/api/requests/${request.id}/attempts`, { channel: 'phone' }, headers);
    const second = await parent.post(`/api/requests/${request.id}/attempts`, { channel: 'phone' }, headers);
    expect(second.body.attemptId).toBe(first.body.attemptId);
    expect(second.body.request.unansweredAttempts).toBe(1);
  });
});
