import Database from 'better-sqlite3';
import Redis from 'ioredis';
import { recordOf } from '@send/read-models';
import { apiClient, eventually, startSystem, startThrowawayRedis, type RunningSystem } from '../support/system';

/**
 * The walking skeleton's first flow, through every real part: `npm start`'s launcher runs the built
 * api and worker on SQLite and Redis; a parent signs in and submits a request; the command bus
 * appends ContactRequestSubmitted; the worker's durable subscription projects it into Redis with a
 * checkpoint; GET /api/requests/:id answers from Redis.
 */
describe('first request, end to end (api + worker + SQLite + Redis)', () => {
  let redisServer: Awaited<ReturnType<typeof startThrowawayRedis>>;
  let system: RunningSystem;
  let redis: Redis;
  let api: ReturnType<typeof apiClient>;

  const submittedCount = () => {
    const db = new Database(system.sqlitePath, { readonly: true, fileMustExist: true });
    try {
      return (db.prepare(`SELECT count(*) AS n FROM events WHERE type = 'ContactRequestSubmitted'`).get() as { n: number }).n;
    } finally {
      db.close();
    }
  };

  beforeAll(async () => {
    redisServer = await startThrowawayRedis();
    system = await startSystem({ DEMO: 'true', REDIS_URL: redisServer.url });
    redis = new Redis(redisServer.url);
    api = apiClient(system.baseUrl);
  }, 90_000);

  afterAll(async () => {
    redis?.disconnect();
    const code = await system?.interrupt();
    await redisServer?.stop();
    expect(code).toBe(0); // Ctrl-C stops api and worker cleanly
  }, 60_000);

  it('a parent submits a request; the worker projects it into Redis; GET answers from the read model', async () => {
    const parent = api.as(await api.login('parent@example.org'));
    const submitted = await parent.post('/api/requests', {
      caseRef: 'EHC-1234',
      category: 'transport',
      subject: 'No school taxi since Monday',
      message: 'My son has had no transport for four days. Please call me back.',
    });
    expect(submitted.status).toBe(201);
    const view = submitted.body;
    expect(view).toMatchObject({
      reference: expect.stringMatching(/^SEND-\d{4}-\d{6}$/),
      caseRef: 'EHC-1234',
      status: 'open',
      category: 'transport',
      priority: 'normal',
      requesterRole: 'parent',
      unansweredAttempts: 0,
      escalation: null,
      breaches: [],
    });
    expect(Date.parse(view.due.firstResponseAt)).toBeGreaterThan(Date.parse(view.submittedAt));

    // The worker's projection wrote the view and its checkpoint.
    const stored = await eventually(() => redis.get(`rm:request:${view.id}`), 10_000, 'the projected request view');
    // It stores the state and the assignee's name; the view made from them on read (recordOf: the domain's toView) is what the api answered.
    const record = JSON.parse(stored);
    expect(recordOf(record).view).toEqual(view);
    expect(Number(await redis.get('checkpoint:projections'))).toBeGreaterThan(0);

    const fetched = await parent.get(`/api/requests/${view.id}`);
    expect(fetched.status).toBe(200);
    expect(fetched.body).toEqual(view);

    const listed = await parent.get('/api/requests');
    expect(listed.body.map((v: { id: string }) => v.id)).toContain(view.id);
  });

  it('another parent cannot see it (404); an officer can', async () => {
    const parent = api.as(await api.login('parent@example.org'));
    const { body: view } = await parent.post('/api/requests', { category: 'general', subject: 'Question', message: 'When is the review?' });
    await eventually(() => redis.get(`rm:request:${view.id}`));

    const other = api.as(await api.login('parent2@example.org'));
    const denied = await other.get(`/api/requests/${view.id}`);
    expect(denied.status).toBe(404);
    expect(denied.contentType).toContain('application/problem+json');
    expect((await other.get('/api/requests')).body.map((v: { id: string }) => v.id)).not.toContain(view.id);

    const officer = api.as(await api.login('officer@example.org'));
    expect((await officer.get(`/api/requests/${view.id}`)).status).toBe(200);
  });

  it('refuses calls without a token (401) and wrong passwords', async () => {
    expect((await api.call('GET', '/api/requests')).status).toBe(401);
    expect((await api.call('POST', '/api/auth/login', { email: 'parent@example.org', password: 'wrong' })).status).toBe(401);
  });

  it.each([
    ['missing fields', {}, ['category', 'subject', 'message']],
    ['wrong types', { category: 'transport', subject: 42, message: ['a'] }, ['subject', 'message']],
    ['an unknown category', { category: 'lunch', subject: 'x', message: 'y' }, ['category']],
    [
      'an unknown priority and channel',
      { category: 'general', subject: 'x', message: 'y', priority: 'asap', channel: 'fax' },
      ['priority', 'channel'],
    ],
    ['a body that is not an object', [1, 2], ['body']],
  ])('answers %s with 400 problem+json naming the fields, and appends nothing', async (_, body, fields) => {
    const parent = api.as(await api.login('parent@example.org'));
    const before = submittedCount();
    const res = await parent.post('/api/requests', body);
    expect(res.status).toBe(400);
    expect(res.contentType).toContain('application/problem+json');
    expect(res.body).toMatchObject({ type: expect.any(String), title: expect.any(String), status: 400 });
    expect(res.body.errors.map((e: { field: string }) => e.field).sort()).toEqual([...fields].sort());
    expect(submittedCount()).toBe(before);
  });

  it('answers malformed JSON with 400 problem+json', async () => {
    const parent = api.as(await api.login('parent@example.org'));
    const res = await parent.post('/api/requests', '{"category":');
    expect(res.status).toBe(400);
    expect(res.contentType).toContain('application/problem+json');
  });

  it('a retried submission with the same Idempotency-Key appends once and answers the first result', async () => {
    const parent = api.as(await api.login('parent@example.org'));
    const before = submittedCount();
    const body = { category: 'ehc_assessment', subject: 'Assessment request', message: 'We asked six weeks ago.' };
    const first = await parent.post('/api/requests', body, { 'Idempotency-Key': 'retry-me-1' });
    const second = await parent.post('/api/requests', body, { 'Idempotency-Key': 'retry-me-1' });
    expect(first.status).toBe(201);
    expect(second.status).toBe(201);
    expect(second.body).toEqual(first.body);
    expect(submittedCount()).toBe(before + 1);
  });

  it('serves health with both checks, and the OpenAPI document', async () => {
    const health = await api.call('GET', '/health');
    expect(health.status).toBe(200);
    expect(health.body).toMatchObject({ status: 'ok', info: { eventStore: { status: 'up' }, redis: { status: 'up' } } });
    const openApi = await api.call('GET', '/api/docs/openapi.json');
    expect(openApi.status).toBe(200);
    expect(Object.keys(openApi.body.paths)).toEqual(expect.arrayContaining(['/api/auth/login', '/api/requests', '/api/requests/{id}']));
  });
});
