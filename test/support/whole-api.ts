import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { loadConfig, type AppConfig } from '@send/platform';
import { createApiApp, type ApiAppOptions } from '../../apps/api/src/app.factory';
import { startThrowawayRedis } from './system';

export interface WholeApi {
  app: NestFastifyApplication;
  config: AppConfig;
  redisUrl: string;
  close(): Promise<void>;
}

/**
 * The api exactly as `npm start` builds it (createApiApp: its hooks, guards and error handlers
 * included), on a fresh SQLite file and a Redis of its own, answering through Fastify's inject.
 * Its spec must mock what Jest cannot load, as createApiApp imports it (hoisted, so in the spec):
 *   jest.mock('<path to>/apps/api/src/admin/queues-board', () => ({ mountQueuesBoard: async () => async () => undefined }));
 *   jest.mock('content-disposition', () => () => 'attachment');
 * (For the modules alone, without those, see in-process-api.ts.)
 */
export async function wholeApi(env: Record<string, string> = {}, options: ApiAppOptions = {}): Promise<WholeApi> {
  const redis = await startThrowawayRedis();
  const dir = mkdtempSync(join(tmpdir(), 'send-whole-api-'));
  const close = async () => {
    await app?.close();
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', REDIS_URL: redis.url, SQLITE_PATH: join(dir, 'events.db'), ...env });
  let app: NestFastifyApplication | undefined;
  try {
    app = await createApiApp(config, options);
    await app.getHttpAdapter().getInstance().ready();
  } catch (error) {
    await close();
    throw error;
  }
  return { app, config, redisUrl: redis.url, close };
}
