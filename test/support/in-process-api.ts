import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DynamicModule } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { loadConfig } from '@send/platform';
import { NestFactory } from '@nestjs/core';
import { AppModule } from '../../apps/api/src/app.module';
import { API_APP_OPTIONS, apiHttpAdapter, useApiLogging } from '../../apps/api/src/common/api-http';
import type { Role } from '../../apps/api/src/auth/roles';
import { startThrowawayRedis } from './system';

export interface InProcessApi {
  app: NestFastifyApplication;
  redisUrl: string;
  /** Every log line written so far, parsed. */
  logLines(): Record<string, unknown>[];
  token(user: { id: string; role: Role; teamId?: string | null }): Promise<string>;
  close(): Promise<void>;
}

/**
 * The api's modules, adapter and logging as createApiApp wires them (without Swagger UI and
 * bull-board, whose ESM-only dependencies Jest cannot load) on a fresh SQLite file and a Redis of its
 * own (so read-model keys and checkpoints are this test's alone), with any extra `imports`, answering through
 * Fastify's inject (no port), with its log lines captured.
 */
export async function inProcessApi(
  env: Record<string, string> = {},
  options: { imports?: DynamicModule[] } = {},
): Promise<InProcessApi> {
  const dir = mkdtempSync(join(tmpdir(), 'send-api-'));
  const redis = await startThrowawayRedis();
  const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'info', REDIS_URL: redis.url, SQLITE_PATH: join(dir, 'events.db'), ...env });
  const lines: string[] = [];
  const logDestination = { write: (line: string) => void lines.push(line) };
  const app = await NestFactory.create<NestFastifyApplication>(
    // Extra modules (a test double of a global provider) beside the app's own.
    options.imports?.length
      ? { module: class InProcessRoot {}, imports: [AppModule.forRoot(config, { logDestination }), ...options.imports] }
      : AppModule.forRoot(config, { logDestination }),
    apiHttpAdapter(),
    API_APP_OPTIONS,
  );
  useApiLogging(app);
  app.flushLogs(); // listen() would; inject() never listens, and buffered lines would wait forever
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  return {
    app,
    redisUrl: redis.url,
    logLines: () => lines.flatMap((l) => l.split('\n').filter(Boolean)).map((l) => JSON.parse(l) as Record<string, unknown>),
    token: (user) =>
      app.get(JwtService).signAsync({
        sub: user.id,
        email: `${user.id}@example.org`,
        name: `Name of ${user.id}`,
        role: user.role,
        teamId: user.teamId ?? null,
      }),
    async close() {
      await app.close();
      await redis.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
