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

/** What the in-app channel publishes for a delivery (and what an api hands its own streams: AlertOnAppend). */
export function liveAlertOf(outgoing: OutgoingAlert, to: DeliveryTarget): LiveAlert {
  return { ...outgoing.payload, role: to.role, teamId: to.teamId, deliveryId: outgoing.deliveryId, userIds: to.userIds };
}

/**
 * Marks the delivery as published and publishes it, in one step, unless the mark is there already:
 * a delivery sent again (its event dispatched again after a crash, or a queued job run twice)
 * publishes nothing. KEYS[1] the mark; ARGV: its time to live (s), the channel, the message.
 */
const PUBLISH_ONCE = `if redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[1]) then return redis.call('PUBLISH', ARGV[2], ARGV[3]) end return -1`;

export interface InAppChannelOptions {
  /** Prefix of the once-only marks: `<markPrefix><deliveryId>` (default `<channel>:sent:`). */
  markPrefix?: string;
  /** How long a mark is kept, in seconds (default 7 days, as long as delivered jobs are kept). */
  keepSeconds?: number;
}

/**
 * In-app live alerts: a PUBLISH on Redis, once per delivery id. Fire-and-forget by nature
 * (subscribers not connected miss it); the durable record is the escalation itself, which GET
 * /api/alerts lists. `immediate`: the dispatcher publishes as it reads the alert, not through the
 * delivery queue, so a manager watching the live stream hears of it in one Redis round trip.
 */
export class InAppChannel implements NotificationChannel {
  readonly name = 'in_app' as const;
  readonly fanOut = 'audience' as const;
  readonly immediate = true;
  private readonly markPrefix: string;
  private readonly keepSeconds: number;

  constructor(
    private readonly redis: Redis,
    private readonly channel: string = LIVE_ALERTS_CHANNEL,
    options: InAppChannelOptions = {},
  ) {
    this.markPrefix = options.markPrefix ?? `${channel}:sent:`;
    this.keepSeconds = options.keepSeconds ?? 7 * 24 * 3600;
  }

  async send(outgoing: OutgoingAlert, to: DeliveryTarget): Promise<void> {
    const live = liveAlertOf(outgoing, to);
    await this.redis.eval(
      PUBLISH_ONCE,
      1,
      `${this.markPrefix}${outgoing.deliveryId}`,
      this.keepSeconds,
      this.channel,
      JSON.stringify(live),
    );
  }
}
