import { BeforeApplicationShutdown, Injectable } from '@nestjs/common';
import { Notifications } from './processors/notifications';
import { Retention } from './processors/retention';
import { Timers } from './processors/timers';
import { ProjectionsSubscription } from './subscriptions/projections.subscription';

/**
 * Stops the worker's parts in order, where Nest would stop a module's providers all at once: first
 * what appends events (timers, retention; each awaits its job in flight), then what reads them, so
 * the projections can project this worker's last appends before they stop rather than leave them
 * for the next worker.
 */
@Injectable()
export class WorkerShutdown implements BeforeApplicationShutdown {
  constructor(
    private readonly timers: Timers,
    private readonly retention: Retention,
    private readonly projections: ProjectionsSubscription,
    private readonly notifications: Notifications,
  ) {}

  async beforeApplicationShutdown(): Promise<void> {
    await Promise.all([this.timers.stop(), this.retention.stop()]);
    await Promise.all([this.projections.stop(), this.notifications.stop()]);
  }
}
