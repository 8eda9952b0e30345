import { Module, type DynamicModule } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { AppMetrics } from '@send/platform';
import { CommandMetrics } from './command-metrics';
import { HttpMetrics } from './http-metrics';
import { MetricsController } from './metrics.controller';
import { StateMetrics } from './state-metrics';

/**
 * GET /metrics and what it reports: commands (CommandBus), HTTP latency, projection lag, open
 * timers, failed notifications, open alerts, event store commits and Node's own metrics. The
 * registry is made by AppModule, which also hands its event store observer to PlatformModule.
 */
@Module({})
export class MetricsModule {
  static forRoot(metrics: AppMetrics): DynamicModule {
    return {
      module: MetricsModule,
      imports: [DiscoveryModule],
      controllers: [MetricsController],
      providers: [{ provide: AppMetrics, useValue: metrics }, CommandMetrics, HttpMetrics, StateMetrics],
    };
  }
}
