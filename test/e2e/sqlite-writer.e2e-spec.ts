import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { apiClient, startSystem, startThrowawayRedis, type RunningSystem } from '../support/system';

/**
 * The built api commits on its SQLite writer thread (ADR 0018): webpack emitted the thread's
 * script beside main.js, and the api finds and runs it. Shown by stopping a commit halfway (the
 * fault seam's mid-append point, as the fault runner does): with the writer thread only that
 * thread stops, so the api goes on answering /health and reads while the append waits; with
 * SQLITE_WRITER=inline the whole api stops with it.
 */
describe('the built api commits on its SQLite writer thread', () => {
  const root = resolve(__dirname, '../..');
  let redisServer: Awaited<ReturnType<typeof startThrowawayRedis>>;
  let dir: string;

  beforeAll(async () => {
    redisServer = await startThrowawayRedis();
    dir = mkdtempSync(join(tmpdir(), 'sqlite-writer-e2e-'));
  }, 60_000);
  afterAll(async () => {
    await redisServer?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Starts the system, signs in, stops the next append mid-transaction; answers whether /health still answered meanwhile. */
  async function healthWhileACommitIsStuck(writer: 'thread' | 'inline'): Promise<{ health: number | 'no answer'; posted: string }> {
    const armFile = join(dir, `arm-${writer}`);
    const system: RunningSystem = await startSystem({
      DEMO: 'true',
      REDIS_URL: redisServer.url,
      SQLITE_WRITER: writer,
      FAULT_PAUSE_AT: 'mid-append',
      FAULT_ARM_FILE: armFile,
    });
    try {
      const api = apiClient(system.baseUrl);
      const parent = api.as(await api.login('parent@example.org'));
      writeFileSync(armFile, ''); // the next append stops between its inserts and COMMIT
      let posted = 'pending';
      void parent
        .post('/api/requests', { caseRef: 'EHC-1234', category: 'transport', subject: 'Taxi', message: 'No taxi since Monday.' })
        .then((r) => (posted = String(r.status)))
        .catch(() => (posted = 'failed'));
      while (existsSync(armFile)) await new Promise((r) => setTimeout(r, 20)); // the seam fired
      const health = await fetch(`${system.baseUrl}/health`, { signal: AbortSignal.timeout(5000) })
        .then((r) => r.status)
        .catch(() => 'no answer' as const);
      return { health, posted };
    } finally {
      await system.interrupt(); // SIGKILLs a process that cannot stop, as the fault runner would
    }
  }

  it('the api answers /health while a commit is stopped on the thread, and the append waits', async () => {
    expect(existsSync(join(root, 'dist/apps/api/sqlite-writer.thread.js'))).toBe(true);
    expect(await healthWhileACommitIsStuck('thread')).toEqual({ health: 200, posted: 'pending' });
  }, 120_000);

  it('with SQLITE_WRITER=inline the whole api stops with the commit (what the thread avoids)', async () => {
    expect(await healthWhileACommitIsStuck('inline')).toEqual({ health: 'no answer', posted: 'pending' });
  }, 120_000);
});
