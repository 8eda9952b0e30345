import { randomUUID } from 'node:crypto';
import { AppMetrics, correlationIdFrom } from '@send/platform';
import { inProcessApi, type InProcessApi } from '../../../../test/support/in-process-api';

describe('request log: one line per request, nothing personal', () => {
  let api: InProcessApi;
  beforeAll(async () => (api = await inProcessApi()));
  afterAll(() => api.close());

  const requestLines = () => api.logLines().filter((l) => l.msg === 'request' || l.msg === 'request failed');

  it('logs method, route pattern, status, time, user and correlation id, and echoes the id', async () => {
    const token = await api.token({ id: 'officer-7', role: 'officer', teamId: 'team-north' });
    const requestId = randomUUID();
    const before = requestLines().length;
    const res = await api.app.inject({
      method: 'GET',
      url: `/api/requests/${requestId}?access_token=${token}&caseRef=CASE-123`,
      headers: { authorization: `Bearer ${token}`, 'x-correlation-id': 'corr-abc-123456', cookie: 'send_admin_token=secret' },
    });
    expect(res.headers['x-correlation-id']).toBe('corr-abc-123456');

    const mine = requestLines().slice(before);
    expect(mine).toHaveLength(1);
    const line = mine[0];
    expect(line).toMatchObject({
      app: 'api',
      correlationId: 'corr-abc-123456',
      method: 'GET',
      route: '/api/requests/:id',
      status: res.statusCode,
      userId: 'officer-7',
    });
    expect(typeof line.ms).toBe('number');
    // No ids from the URL, no query string, no headers, no token, no names or emails.
    const text = JSON.stringify(line);
    for (const secret of [requestId, 'CASE-123', 'access_token', token, 'secret', 'example.org', 'Name of', 'authorization', 'headers']) {
      expect(text).not.toContain(secret);
    }
  });

  it('takes X-Request-Id when there is no X-Correlation-Id, and replaces malformed ids', async () => {
    const fromProxy = await api.app.inject({ method: 'GET', url: '/api/queue', headers: { 'x-request-id': 'lb-0123456789' } });
    expect(fromProxy.headers['x-correlation-id']).toBe('lb-0123456789');

    const before = requestLines().length;
    const forged = await api.app.inject({ method: 'GET', url: '/api/queue', headers: { 'x-correlation-id': 'evil\nline {"level":60}' } });
    const id = forged.headers['x-correlation-id'] as string;
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(requestLines().slice(before)).toMatchObject([{ correlationId: id, route: '/api/queue', status: 401, userId: null }]);
  });

  it('logs unknown routes without their URL, and leaves /health out', async () => {
    const before = requestLines().length;
    await api.app.inject({ method: 'GET', url: '/health' });
    await api.app.inject({ method: 'GET', url: '/no/such/page/SEND-2026-000123' });
    const mine = requestLines().slice(before);
    expect(mine).toMatchObject([{ method: 'GET', route: null, status: 404 }]);
    expect(JSON.stringify(mine)).not.toContain('SEND-2026');
  });

  it("writes an unexpected error's line with the request's correlation id", async () => {
    // Inside a route: the ProblemFilter logs it (a page's error: request-context.spec.ts).
    jest.spyOn(api.app.get(AppMetrics).registry, 'metrics').mockRejectedValueOnce(new Error('registry on fire'));
    const before = api.logLines().length;
    const res = await api.app.inject({ method: 'GET', url: '/metrics', headers: { 'x-correlation-id': 'corr-5xx-123456' } });
    expect(res.statusCode).toBe(500);
    expect(
      api
        .logLines()
        .slice(before)
        .find((l) => l.msg === 'registry on fire'),
    ).toMatchObject({
      correlationId: 'corr-5xx-123456',
      level: 50,
      err: { message: 'registry on fire' },
    });
  });

  it('correlationIdFrom: well-formed ids kept, anything else replaced by a new UUID', () => {
    expect(correlationIdFrom({ 'x-correlation-id': '4bf92f3577b34da6a3ce929d0e0e4736' })).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(correlationIdFrom({ 'x-correlation-id': 'x'.repeat(200), 'x-request-id': 'req-12345678' })).toBe('req-12345678');
    expect(correlationIdFrom({ 'x-correlation-id': 'short' })).toMatch(/^[0-9a-f-]{36}$/);
    expect(correlationIdFrom({})).not.toBe(correlationIdFrom({}));
  });
});
