import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Test } from '@nestjs/testing';
import type Redis from 'ioredis';
import { loadConfig } from './config';
import { PlatformModule, REDIS } from './platform.module';

describe('PlatformModule: the shared Redis connection', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'platform-redis-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** Issues three commands in one turn of the event loop and reports how many ioredis held back to send as one pipeline. */
  async function heldInOneTurn(redisAutoPipelining?: boolean): Promise<{ held: number; answers: unknown[] }> {
    const config = loadConfig({
      SQLITE_PATH: join(dir, 'events.db'),
      PERSONAL_DATA_ENCRYPTION: 'false',
      ...(process.env.REDIS_URL ? { REDIS_URL: process.env.REDIS_URL } : {}),
    });
    const moduleRef = await Test.createTestingModule({ imports: [PlatformModule.forRoot(config, { redisAutoPipelining })] }).compile();
    const redis = moduleRef.get<Redis>(REDIS);
    await redis.ping(); // connected, so the commands below are not queued for the connection instead
    const key = `platform-spec:${process.pid}:${String(redisAutoPipelining)}`;
    const pending = [redis.set(key, 'v'), redis.get(key), redis.del(key)];
    const held = redis.autoPipelineQueueSize;
    const answers = await Promise.all(pending);
    await moduleRef.close();
    return { held, answers };
  }

  it("with redisAutoPipelining (the api's): one turn's commands wait to go out together, and each gets its own answer in order", async () => {
    expect(await heldInOneTurn(true)).toEqual({ held: 3, answers: ['OK', 'v', 1] });
  });

  it("without it (the worker's, whose projector orders reads around its MULTI): each command goes out as it is issued", async () => {
    expect(await heldInOneTurn()).toEqual({ held: 0, answers: ['OK', 'v', 1] });
  });
});
