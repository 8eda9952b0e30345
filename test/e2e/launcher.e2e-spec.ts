import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, ping, startSystem } from '../support/system';

/** `npm start` with nothing answering at REDIS_URL: it starts, and on Ctrl-C stops, a local Redis. */
describe('npm start launcher', () => {
  it('starts a local redis-server with append-only data under the data folder, and stops it on Ctrl-C', async () => {
    const port = await freePort();
    const system = await startSystem({ REDIS_URL: `redis://127.0.0.1:${port}` });
    const dataDir = system.dataDir;
    try {
      expect(system.output()).toContain(`starting a local redis-server`);
      expect(await ping('127.0.0.1', port)).toBe(true);
      const redisDir = join(dataDir, 'redis');
      expect(existsSync(redisDir)).toBe(true);
      expect(readdirSync(redisDir).join(' ')).toMatch(/appendonly/);
      const health = await fetch(`${system.baseUrl}/health`);
      expect(health.status).toBe(200);
      // No JWT_SECRET given: a random one made for this installation, readable by its owner only.
      if (!process.env.JWT_SECRET) {
        expect(statSync(join(dataDir, 'jwt-secret')).mode & 0o777).toBe(0o600);
        expect(system.output()).toContain('made a token signing secret');
      }
    } finally {
      expect(await system.interrupt()).toBe(0);
    }
    expect(await ping('127.0.0.1', port, 300)).toBe(false);
  }, 90_000);

  it('stops with a message naming the variable when the configuration is bad', async () => {
    await expect(startSystem({ REDIS_URL: `redis://127.0.0.1:${await freePort()}`, EVENT_STORE: 'mongodb' })).rejects.toThrow(
      /EVENT_STORE/,
    );
  }, 90_000);
});
