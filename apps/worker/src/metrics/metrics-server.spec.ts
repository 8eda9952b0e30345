import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { v4 as uuid } from 'uuid';
import { SqliteEventStore } from '@send/event-store';
import { AppMetrics, loadConfig } from '@send/platform';
import { WorkerMetricsServer } from './metrics-server';

describe('worker GET /metrics (METRICS_PORT)', () => {
  const token = 'worker-metrics-token-0123456789';
  let dir: string;
  let store: SqliteEventStore;
  let server: WorkerMetricsServer;
  const metrics = new AppMetrics('worker');

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'worker-metrics-'));
    store = new SqliteEventStore({ path: join(dir, 'events.db'), observer: metrics.eventStoreObserver });
    // Port 0: any free port (the config itself asks for 1-65535).
    server = new WorkerMetricsServer(metrics, { ...loadConfig({ METRICS_TOKEN: token, HOST: '127.0.0.1' }), METRICS_PORT: 0 });
    await server.onApplicationBootstrap();
  });
  afterAll(async () => {
    await server.onApplicationShutdown();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const get = (path: string, authorization?: string) =>
    fetch(`http://127.0.0.1:${server.port}${path}`, { headers: authorization ? { authorization } : {} });

  it('serves the worker registry to the bearer of METRICS_TOKEN: Node metrics and its store commits', async () => {
    await Promise.all([
      store.append('s-1', [{ id: uuid(), type: 'A', data: {} }], { expectedRevision: 'any' }),
      store.append('s-2', [{ id: uuid(), type: 'A', data: {} }], { expectedRevision: 'any' }),
    ]);
    const res = await get('/metrics', `Bearer ${token}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    expect(text).toMatch(/^send_event_store_append_batch_size_bucket\{le="2",app="worker"\} 1$/m);
    expect(text).toMatch(/^nodejs_eventloop_lag_seconds\{app="worker"\} /m);
  });

  it('answers 401 without the token and 404 elsewhere', async () => {
    expect((await get('/metrics')).status).toBe(401);
    expect((await get('/metrics', 'Bearer nope')).status).toBe(401);
    expect((await get('/other', `Bearer ${token}`)).status).toBe(404);
  });

  it('does not listen without METRICS_PORT', async () => {
    const off = new WorkerMetricsServer(metrics, loadConfig({}));
    await off.onApplicationBootstrap();
    expect(off.port).toBeNull();
  });
});
