import { Module, type DynamicModule } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import { APP_FILTER } from '@nestjs/core';
import { LoggerModule } from 'nestjs-pino';
import type { DestinationStream } from 'pino';
import { AppMetrics, loggerOptions, PlatformModule, type AppConfig } from '@send/platform';
import { AccessLogModule } from './access-log/access-log.module';
import { AuthModule } from './auth/auth.module';
import { ProblemFilter } from './common/problem.filter';
import { HealthModule } from './health/health.module';
import { MetricsModule } from './metrics/metrics.module';
import { AlertsModule } from './alerts/alerts.module';
import { CasesModule } from './cases/cases.module';
import { DashboardModule } from './dashboard/dashboard.module';
import { DataSubjectsModule } from './data-subjects/data-subjects.module';
import { DemoDataModule } from './demo/demo-data.module';
import { QueueModule } from './queue/queue.module';
import { ScopeModule } from './scope/request-scopes';
import { OfficersModule } from './officers/officers.module';
import { MeModule } from './me/me.module';
import { ReadModelsModule } from './read-models/read-models.module';
import { RequestsModule } from './requests/requests.module';
import { TelephonyModule } from './telephony/telephony.module';
import { WebModule } from './web/web.module';

@Module({})
export class AppModule {
  static forRoot(config: AppConfig, options: { logDestination?: DestinationStream } = {}): DynamicModule {
    const metrics = new AppMetrics('api');
    return {
      module: AppModule,
      imports: [
        // No per-request middleware (pino-http) and no per-request async context: installRequestLog writes
        // the request line, and lines about a request name its correlation id themselves (ADR 0029).
        LoggerModule.forRoot({ ...loggerOptions(config, 'api', options.logDestination), forRoutes: [] }),
        PlatformModule.forRoot(config, { eventStoreObserver: metrics.eventStoreObserver }),
        CqrsModule.forRoot(),
        AuthModule,
        HealthModule,
        ReadModelsModule,
        ScopeModule,
        AccessLogModule.forRoot(config, metrics),
        RequestsModule,
        QueueModule,
        OfficersModule,
        MeModule,
        AlertsModule,
        DashboardModule,
        CasesModule,
        TelephonyModule,
        DataSubjectsModule,
        DemoDataModule,
        WebModule,
        MetricsModule.forRoot(metrics),
      ],
      providers: [{ provide: APP_FILTER, useClass: ProblemFilter }],
    };
  }
}
