import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import { keys, PROJECTIONS_NAME } from '@send/read-models';
import { metricsAccess } from '@send/platform';
import { inProcessApi, type InProcessApi } from '../../../../test/support/in-process-api';

/** Prometheus text -> the value of the one sample whose name and labels match (undefined when absent). */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const have = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) return Number(match[3]);
  }
  return undefined;
}

const submission = { category: 'transport', subject: 'Taxi to school', message: 'The taxi did not come this week.' };

describe('GET /metrics', () => {
  describe('outside production, without METRICS_TOKEN', () => {
    let api: InProcessApi;
    let parent: string;
    beforeAll(async () => {
      api = await inProcessApi();
      parent = await api.token({ id: randomUUID(), role: 'parent' });
    });
    afterAll(() => api.close());

    const scrape = async () => {
      const res = await api.app.inject({ method: 'GET', url: '/metrics' });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
      return res.body;
    };
    const submit = () =>
      api.app.inject({ method: 'POST', url: '/api/requests', headers: { authorization: `Bearer ${parent}` }, payload: submission });

    it('counts and times commands by class and outcome, through the CommandBus', async () => {
      const before = await scrape();
      expect((await submit()).statusCode).toBe(201);
      const missing = await api.app.inject({
        method: 'POST',
        url: `/api/requests/${randomUUID()}/attempts`,
        headers: { authorization: `Bearer ${parent}` },
        payload: { channel: 'phone' },
      });
      expect(missing.statusCode).toBeGreaterThanOrEqual(400);
      expect(missing.statusCode).toBeLessThan(500);

      const after = await scrape();
      const ok = { command: 'SubmitRequestCommand', outcome: 'ok', app: 'api' };
      expect(sample(after, 'send_commands_total', ok)).toBe((sample(before, 'send_commands_total', ok) ?? 0) + 1);
      expect(sample(after, 'send_command_duration_seconds_count', ok)).toBe(sample(after, 'send_commands_total', ok));
      expect(sample(after, 'send_commands_total', { command: 'RecordAttemptCommand', outcome: 'rejected' })).toBe(1);
    });

    it('measures HTTP requests by route pattern, not by URL', async () => {
      await api.app.inject({ method: 'GET', url: `/api/requests/${randomUUID()}`, headers: { authorization: `Bearer ${parent}` } });
      const text = await scrape();
      expect(
        sample(text, 'send_http_request_duration_seconds_count', { method: 'POST', route: '/api/requests', status: '201' }),
      ).toBeGreaterThanOrEqual(1);
      expect(sample(text, 'send_http_request_duration_seconds_count', { method: 'GET', route: '/api/requests/:id' })).toBe(1);
      expect(text).not.toMatch(/route="\/api\/requests\/[0-9a-f]{8}-/);
    });

    it('reports projection lag from the store head and the checkpoint: events waiting, then none', async () => {
      // No worker here: every request event appended so far is waiting for the projector.
      const text = await scrape();
      const waiting = sample(text, 'send_projection_lag_events');
      expect(waiting).toBeGreaterThanOrEqual(1);
      expect(sample(text, 'send_projection_lag_seconds')).toBeGreaterThanOrEqual(0);

      await submit();
      expect(sample(await scrape(), 'send_projection_lag_events')).toBeGreaterThan(waiting!);

      const redis = new Redis(api.redisUrl);
      try {
        await redis.set(keys.checkpoint(PROJECTIONS_NAME), '999999999');
        const caughtUp = await scrape();
        expect(sample(caughtUp, 'send_projection_lag_events')).toBe(0);
        expect(sample(caughtUp, 'send_projection_lag_seconds')).toBe(0);
      } finally {
        await redis.del(keys.checkpoint(PROJECTIONS_NAME));
        redis.disconnect();
      }
    });

    it('reports timers, failed notifications, open alerts by level, store commits and Node metrics', async () => {
      const redis = new Redis(api.redisUrl);
      const escalationId = randomUUID();
      const alert = {
        escalationId,
        requestId: randomUUID(),
        reference: 'SEND-2026-000001',
        level: 2,
        reason: 'sla_breached',
        unansweredCount: 3,
      };
      try {
        await redis.set(
          keys.alert(escalationId),
          JSON.stringify({ ...alert, raisedAt: new Date().toISOString(), status: 'acknowledged', teamId: null, notifyRole: null }),
        );
        await redis.zadd(keys.openAlerts(), Date.now(), escalationId);
        await redis.sadd(keys.alertsRaised(1), escalationId, randomUUID());
        await redis.sadd(keys.alertsRaised(2), escalationId);
        const text = await scrape();
        expect(sample(text, 'send_alerts_open', { level: '2', status: 'acknowledged' })).toBe(1);
        expect([1, 2, 3].map((level) => sample(text, 'send_alerts_raised_total', { level: String(level) }))).toEqual([2, 1, 0]);
        expect(sample(text, 'send_timers_open')).toBe(0);
        expect(sample(text, 'send_notifications_failed')).toBe(0);
        expect(sample(text, 'send_event_store_append_batch_size_count')).toBeGreaterThanOrEqual(1);
        expect(sample(text, 'send_event_store_commit_duration_seconds_count', { committed: 'true' })).toBeGreaterThanOrEqual(1);
        expect(sample(text, 'nodejs_eventloop_lag_seconds')).toBeGreaterThanOrEqual(0);
        expect(sample(text, 'process_cpu_user_seconds_total')).toBeGreaterThan(0);
      } finally {
        redis.disconnect();
      }
    });
  });

  describe('in production', () => {
    it('with METRICS_TOKEN: answers only the bearer of that token', async () => {
      const token = 'metrics-token-0123456789abcdef';
      const api = await inProcessApi({
        NODE_ENV: 'production',
        JWT_SECRET: 'a-production-secret-0123456789abcdef',
        DATA_KEYS_SECRET: 'a-production-data-keys-secret-0123456789',
        METRICS_TOKEN: token,
      });
      try {
        const get = (authorization?: string) =>
          api.app.inject({ method: 'GET', url: '/metrics', headers: authorization ? { authorization } : {} });
        expect((await get()).statusCode).toBe(401);
        expect((await get(`Bearer ${token}x`)).statusCode).toBe(401);
        expect((await get(`Basic ${token}`)).statusCode).toBe(401);
        // A user's JWT is not the metrics token.
        expect((await get(`Bearer ${await api.token({ id: 'admin-1', role: 'admin' })}`)).statusCode).toBe(401);
        const ok = await get(`Bearer ${token}`);
        expect(ok.statusCode).toBe(200);
        expect(ok.body).toContain('# TYPE send_commands_total counter');
      } finally {
        await api.close();
      }
    });

    it('without METRICS_TOKEN: answers as an unknown page does', async () => {
      const api = await inProcessApi({
        NODE_ENV: 'production',
        JWT_SECRET: 'a-production-secret-0123456789abcdef',
        DATA_KEYS_SECRET: 'a-production-data-keys-secret-0123456789',
      });
      try {
        const metrics = await api.app.inject({ method: 'GET', url: '/metrics' });
        const unknown = await api.app.inject({ method: 'GET', url: '/nothing-here' });
        expect(metrics.statusCode).toBe(404);
        expect(JSON.parse(metrics.body)).toMatchObject({ ...JSON.parse(unknown.body), detail: 'Cannot GET /metrics' });
      } finally {
        await api.close();
      }
    });
  });

  it('metricsAccess: the token rule', () => {
    expect(metricsAccess({ NODE_ENV: 'development', METRICS_TOKEN: undefined }, undefined)).toBe('allow');
    expect(metricsAccess({ NODE_ENV: 'production', METRICS_TOKEN: undefined }, 'Bearer anything')).toBe('hidden');
    expect(metricsAccess({ NODE_ENV: 'development', METRICS_TOKEN: 'sixteen-chars-ok!' }, undefined)).toBe('unauthorized');
    expect(metricsAccess({ NODE_ENV: 'development', METRICS_TOKEN: 'sixteen-chars-ok!' }, 'Bearer sixteen-chars-ok')).toBe('unauthorized');
    expect(metricsAccess({ NODE_ENV: 'production', METRICS_TOKEN: 'sixteen-chars-ok!' }, 'Bearer sixteen-chars-ok!')).toBe('allow');
  });
});
