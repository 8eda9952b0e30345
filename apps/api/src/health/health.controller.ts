import { Controller, Get, Inject } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import type Redis from 'ioredis';
import type { EventStore } from '@send/event-store';
import { APP_CONFIG, EVENT_STORE, REDIS, type AppConfig } from '@send/platform';
import { Public } from '../auth/auth.decorators';
import { ApiAnswer, ApiProblems } from '../common/openapi';
import { healthSchema } from './dto/health.dto';

/** GET /health: 200 {"status":"ok"} once the event store and Redis both answer, 503 otherwise. */
@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicator: HealthIndicatorService,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Public()
  @Get()
  // Described here from our schema: terminus's own description misses that a 503 is problem+json.
  @HealthCheck({ swaggerDocumentation: false })
  @ApiOperation({ summary: 'Ready when the event store and Redis both answer' })
  @ApiAnswer(healthSchema, { description: 'The event store and Redis answer' })
  @ApiProblems(503)
  check() {
    return this.health.check([
      () => this.probe('eventStore', () => this.store.ping(), { kind: this.config.EVENT_STORE }),
      () => this.probe('redis', () => this.redis.ping()),
    ]);
  }

  private async probe<K extends string>(key: K, ping: () => Promise<unknown>, info: Record<string, string> = {}) {
    const session = this.indicator.check(key);
    try {
      await withTimeout(ping(), 2000);
      return session.up(info);
    } catch (err) {
      return session.down({ ...info, message: (err as Error).message });
    }
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer in ${ms} ms`)), ms)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
