import { Module, type DynamicModule } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { loggerOptions, PlatformModule, type AppConfig } from '@send/platform';
import { Notifications } from './processors/notifications';
import { Timers } from './processors/timers';
import { ProjectionsSubscription } from './subscriptions/projections.subscription';

@Module({})
export class WorkerModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: WorkerModule,
      imports: [LoggerModule.forRoot(loggerOptions(config, 'worker')), PlatformModule.forRoot(config)],
      providers: [ProjectionsSubscription, Timers, Notifications],
    };
  }
}
