import Database from 'better-sqlite3';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { apiClient, startSystem, startThrowawayRedis } from '../support/system';

/**
 * The access log in the built system as `npm start` runs it (ADR 0014): its own SQLite file, beside
 * the event store by default; what was read before Ctrl-C is on disk after it, and a restarted api
 * answers it to the data protection officer. The built api writes it on its writer thread (the
 * default), from the access-log-writer.thread.js webpack emits beside main.js.
 */
describe('access log, end to end (built api + worker, SQLite file)', () => {
  let redisServer: Awaited<ReturnType<typeof startThrowawayRedis>>;
  let keptDir: string;

  beforeAll(async () => {
    redisServer = await startThrowawayRedis();
    keptDir = mkdtempSync(join(tmpdir(), 'send-access-log-'));
  }, 30_000);
  afterAll(async () => {
    await redisServer?.stop();
    rmSync(keptDir, { recursive: true, force: true });
  });

  it("keeps an officer's read (not the family's) across a restart, in its own file", async () => {
    expect(existsSync(join(__dirname, '../../dist/apps/api/access-log-writer.thread.js'))).toBe(true);
    const accessLogPath = join(keptDir, 'access-log.db');
    const first = await startSystem({ DEMO: 'true', REDIS_URL: redisServer.url, ACCESS_LOG_PATH: accessLogPath });
    let requestId: string;
    try {
      const api = apiClient(first.baseUrl);
      const parent = api.as(await api.login('parent@example.org'));
      const submitted = await parent.post('/api/requests', {
        caseRef: 'C-1001',
        category: 'general',
        subject: 'Review date',
        message: 'When is it?',
      });
      expect(submitted.status).toBe(201);
      requestId = submitted.body.id;
      expect((await parent.get(`/api/requests/${requestId}`)).status).toBe(200);
      const officer = api.as(await api.login('officer@example.org'));
      expect((await officer.get(`/api/requests/${requestId}?context=queue`)).status).toBe(200);
    } finally {
      expect(await first.interrupt()).toBe(0); // Ctrl-C right after the read: shutdown writes what waits
    }

    const db = new Database(accessLogPath, { readonly: true, fileMustExist: true });
    const rows = db.prepare('SELECT role, context, via, items FROM access_read').all();
    db.close();
    expect(rows).toEqual([
      { role: 'officer', context: 'queue', via: 'api', items: JSON.stringify([['request', requestId, 'C-1001', 'north']]) },
    ]);

    const second = await startSystem({ DEMO: 'true', REDIS_URL: redisServer.url, ACCESS_LOG_PATH: accessLogPath });
    try {
      const api = apiClient(second.baseUrl);
      const dpo = api.as(await api.login('dpo@example.org'));
      const answer = await dpo.get('/api/access-log?caseRef=C-1001');
      expect(answer.status).toBe(200);
      expect(answer.body).toEqual([expect.objectContaining({ role: 'officer', what: 'request', id: requestId, context: 'queue' })]);
      expect((await dpo.get(`/api/requests/${requestId}`)).status).toBe(403);
    } finally {
      expect(await second.interrupt()).toBe(0);
    }
  }, 120_000);

  it('keeps the log beside the event store by default', async () => {
    const system = await startSystem({ DEMO: 'true', REDIS_URL: redisServer.url });
    try {
      expect(existsSync(join(system.dataDir, 'access-log.db'))).toBe(true);
    } finally {
      expect(await system.interrupt()).toBe(0);
    }
  }, 90_000);
});
