import type Redis from 'ioredis';
import type { AlertPayload } from '../templates';
import type { DeliveryTarget, NotificationChannel, OutgoingAlert } from './channel';

/** Default pub/sub channel of live alerts; the api's SSE endpoint /api/alerts/stream subscribes. */
export const LIVE_ALERTS_CHANNEL = 'alerts:live';

/** What is published: the alert's fields plus routing, so the api sends it only to those it is for. */
export interface LiveAlert extends AlertPayload {
  deliveryId: string;
  /** Everyone the alert is for; the api may also route by role (and teamId for team managers). */
  userIds: string[];
}

/**
 * In-app live alerts: a PUBLISH on Redis. Fire-and-forget by nature (subscribers not connected
 * miss it); the durable record is the escalation itself, which GET /api/alerts lists.
 */
export class InAppChannel implements NotificationChannel {
  readonly name = 'in_app' as const;
  readonly fanOut = 'audience' as const;

  constructor(
    private readonly redis: Redis,
    private readonly channel: string = LIVE_ALERTS_CHANNEL,
  ) {}

  async send(outgoing: OutgoingAlert, to: DeliveryTarget): Promise<void> {
    const live: LiveAlert = { ...outgoing.payload, role: to.role, teamId: to.teamId, deliveryId: outgoing.deliveryId, userIds: to.userIds };
    await this.redis.publish(this.channel, JSON.stringify(live));
  }
}
