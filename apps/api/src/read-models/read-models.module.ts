import { Global, Inject, Injectable, Module, type OnApplicationShutdown } from '@nestjs/common';
import type Redis from 'ioredis';
import type { EventStore } from '@send/event-store';
import {
  AlertsRepository,
  CasesRepository,
  LiveDashboardThread,
  QueuesRepository,
  RequestViewsRepository,
  SlaDashboardService,
  TimelineRepository,
  UsersRepository,
} from '@send/read-models';
import { APP_CONFIG, Clock, EVENT_STORE, REDIS, type AppConfig } from '@send/platform';

const onRedis = <T>(Repository: new (redis: Redis) => T) => ({
  provide: Repository,
  inject: [REDIS],
  useFactory: (redis: Redis) => new Repository(redis),
});

/**
 * The thread live SLA dashboards are computed in (null: on the event loop). It runs this very file:
 * the built api is one bundle, main.js, whose entry serves dashboards when started as that thread.
 * Run from TypeScript sources (tests) there is no such bundle, and the dashboard is computed in process.
 */
export const LIVE_DASHBOARD_THREAD_PROVIDER = Symbol('LiveDashboardThread');

@Injectable()
class LiveDashboardThreadCloser implements OnApplicationShutdown {
  constructor(@Inject(LIVE_DASHBOARD_THREAD_PROVIDER) private readonly thread: LiveDashboardThread | null) {}
  async onApplicationShutdown(): Promise<void> {
    await this.thread?.close();
  }
}

/** The Redis read models the api queries (written only by the worker's projections). */
@Global()
@Module({
  providers: [
    onRedis(RequestViewsRepository),
    onRedis(TimelineRepository),
    onRedis(QueuesRepository),
    onRedis(AlertsRepository),
    onRedis(UsersRepository),
    onRedis(CasesRepository),
    {
      provide: LIVE_DASHBOARD_THREAD_PROVIDER,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) =>
        config.DASHBOARD_LIVE_THREAD && __filename.endsWith('.js') ? new LiveDashboardThread(__filename) : null,
    },
    LiveDashboardThreadCloser,
    {
      provide: SlaDashboardService,
      inject: [EVENT_STORE, REDIS, APP_CONFIG, Clock, LIVE_DASHBOARD_THREAD_PROVIDER],
      useFactory: (store: EventStore, redis: Redis, config: AppConfig, clock: Clock, liveThread: LiveDashboardThread | null) =>
        new SlaDashboardService({
          store,
          redis,
          policy: config.policy,
          clock: () => clock.now(),
          liveMaxAgeMs: config.DASHBOARD_LIVE_MAX_AGE,
          liveThread: liveThread ?? undefined,
        }),
    },
  ],
  exports: [
    RequestViewsRepository,
    TimelineRepository,
    QueuesRepository,
    AlertsRepository,
    UsersRepository,
    CasesRepository,
    SlaDashboardService,
  ],
})
export class ReadModelsModule {}
