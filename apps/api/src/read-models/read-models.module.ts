import { Global, Module } from '@nestjs/common';
import type Redis from 'ioredis';
import type { EventStore } from '@send/event-store';
import {
  AlertsRepository,
  CasesRepository,
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
      provide: SlaDashboardService,
      inject: [EVENT_STORE, REDIS, APP_CONFIG, Clock],
      useFactory: (store: EventStore, redis: Redis, config: AppConfig, clock: Clock) =>
        new SlaDashboardService({
          store,
          redis,
          policy: config.policy,
          clock: () => clock.now(),
          liveMaxAgeMs: config.DASHBOARD_LIVE_MAX_AGE,
        }),
    },
  ],
  exports: [RequestViewsRepository, TimelineRepository, QueuesRepository, AlertsRepository, UsersRepository, CasesRepository, SlaDashboardService],
})
export class ReadModelsModule {}
