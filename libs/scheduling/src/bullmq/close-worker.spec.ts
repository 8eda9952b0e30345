import { createServer } from 'node:net';
import { Worker } from 'bullmq';
import { testRedis } from '@send/event-store/testing/test-redis';
import { closeWorker } from './close-worker';

let redis: Awaited<ReturnType<typeof testRedis>>;
beforeAll(async () => (redis = await testRedis()));
afterAll(() => redis.stop());

// An unhandled rejection fails the test that caused it (Jest reports it there): that is what these
// tests watch for. Closing these same workers with worker.close() fails the first one.

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** After the last close, long enough for a disconnected socket's close event to reject what was queued on it. */
const settle = () => pause(200);

/** Workers closed at every point of their start: right away, and a fraction of a millisecond on, up to ~3 ms. */
async function startAndClose(count: number, close: (worker: Worker) => Promise<void>): Promise<void> {
  for (let i = 0; i < count; i++) {
    const worker = new Worker(`close-worker-${i}`, async () => undefined, { connection: { url: redis.url }, autorun: false });
    worker.on('error', () => undefined);
    await pause((i % 10) * 0.3);
    await close(worker);
    expect(worker.closing).toBeDefined();
  }
}

describe('closeWorker', () => {
  it('closes a worker at any point of its start without an unhandled rejection', async () => {
    await startAndClose(200, (worker) => closeWorker(worker));
    await settle();
  });

  it('still closes, within its bound, when Redis is unreachable', async () => {
    const closedPort = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const { port } = server.address() as { port: number };
        server.close(() => resolve(port));
      });
    });
    const worker = new Worker('close-worker-unreachable', async () => undefined, {
      connection: { host: '127.0.0.1', port: closedPort },
      autorun: false,
    });
    const errors: Error[] = [];
    worker.on('error', (error) => errors.push(error));
    const started = Date.now();
    await closeWorker(worker, 300);
    const took = Date.now() - started;
    await settle();
    expect(took).toBeGreaterThanOrEqual(290);
    expect(took).toBeLessThan(3_000);
    expect(errors.length).toBeGreaterThan(0); // the refused connections, reported on the worker
  });
});
