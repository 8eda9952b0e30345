import { Module, type DynamicModule } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { AppMetrics, loggerOptions, PlatformModule, type AppConfig } from '@send/platform';
import { WorkerMetricsServer } from './metrics/metrics-server';
import { Notifications } from './processors/notifications';
import { Retention } from './processors/retention';
import { Timers } from './processors/timers';
import { ProjectionsSubscription } from './subscriptions/projections.subscription';
import { WorkerShutdown } from './worker-shutdown';

@Module({})
export class WorkerModule {
  static forRoot(config: AppConfig): DynamicModule {
    const metrics = new AppMetrics('worker');
    return {
      module: WorkerModule,
      imports: [
        LoggerModule.forRoot(loggerOptions(config, 'worker')),
        PlatformModule.forRoot(config, { eventStoreObserver: metrics.eventStoreObserver }),
      ],
      providers: [
        ProjectionsSubscription,
        Timers,
        Notifications,
        Retention,
        WorkerShutdown,
        { provide: AppMetrics, useValue: metrics },
        WorkerMetricsServer,
      ],
    };
  }
}
