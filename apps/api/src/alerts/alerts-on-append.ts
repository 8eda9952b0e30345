import { Inject, Injectable, Logger } from '@nestjs/common';
import type Redis from 'ioredis';
import { isSubmitted, type State } from '@send/domain';
import type { RecordedEvent } from '@send/event-store';
import {
  AlertOnAppend,
  InAppChannel,
  LIVE_ALERTS_CHANNEL,
  notificationsConfigFrom,
  ReadModelRecipientDirectory,
  traceAlert,
  type LiveAlert,
  type NotificationsEnv,
  type RecipientLookup,
} from '@send/notifications';
import { Subject } from 'rxjs';
import { APP_CONFIG, REDIS, type AppConfig } from '@send/platform';

/**
 * Publishes the in-app alert of an escalation a command here has just raised, straight after its
 * append, instead of leaving the live stream to wait for the worker to poll the store, project and
 * dispatch (ADR 0002, amended 2026-12-02). The worker's dispatcher still dispatches the event, under
 * the same delivery id and Lua mark, so it publishes nothing a second time; and it still publishes
 * whatever this declines or fails at. Provided by RequestsModule, where every request command runs.
 */
@Injectable()
export class AlertsOnAppend {
  private readonly logger = new Logger(AlertsOnAppend.name);
  private readonly publisher: AlertOnAppend;
  /** This process's own alerts, as they are published: LiveAlerts relays them to its streams at once. */
  readonly published = new Subject<LiveAlert>();

  constructor(@Inject(REDIS) redis: Redis, @Inject(APP_CONFIG) config: AppConfig & Partial<NotificationsEnv>) {
    // The channel and marks the worker's createNotifications makes (channelsFromConfig).
    const notifications = notificationsConfigFrom(config);
    this.publisher = new AlertOnAppend({
      channel: new InAppChannel(redis, notifications.inAppChannel ?? LIVE_ALERTS_CHANNEL),
      directory: new ReadModelRecipientDirectory(redis),
      publicBaseUrl: notifications.publicBaseUrl,
      local: (alert) => this.published.next(alert),
    });
  }

  /** Starts, while the append commits, the lookups of an escalation just decided (AlertOnAppend.prefetch). */
  prefetch(decided: ReadonlyArray<{ type: string; data?: unknown }>, state: State): RecipientLookup | undefined {
    return this.publisher.prefetch(decided, isSubmitted(state) ? state.teamId : null);
  }

  /**
   * Not awaited by the command: its answer does not wait for the publish, and a publish that fails
   * only leaves the alert to the worker.
   */
  after(requestId: string, recorded: readonly RecordedEvent[], state: State, lookup?: RecipientLookup): void {
    const raised = recorded.at(-1);
    if (raised?.type !== 'EscalationRaised') return;
    this.publisher.publish(recorded, state, lookup).then(
      (sent) => sent && traceAlert('api-published', requestId),
      (error: unknown) =>
        this.logger.warn(
          { correlationId: raised.metadata?.correlationId },
          `live alert of request ${requestId} left to the worker: ${error instanceof Error ? error.message : String(error)}`,
        ),
    );
  }
}
