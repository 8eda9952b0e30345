import { DELIVERY_HEADER, SIGNATURE_HEADER, signWebhookBody, TIMESTAMP_HEADER } from './webhook-signature';
import type { DeliveryTarget, NotificationChannel, OutgoingAlert } from './channel';

export interface WebhookChannelOptions {
  url: string;
  secret: string;
  /** The time put in the timestamp (the injected clock). */
  now: () => Date;
  timeoutMs?: number;
}

/**
 * A signed JSON POST for chat tools (Teams, Slack via a relay or workflow). `text` is a one-line
 * summary that Slack-style incoming webhooks show as is; `alert` carries the structured fields.
 * Any non-2xx answer throws, so the job is retried.
 */
export class WebhookChannel implements NotificationChannel {
  readonly name = 'webhook' as const;
  readonly fanOut = 'audience' as const;

  constructor(private readonly options: WebhookChannelOptions) {}

  async send(outgoing: OutgoingAlert, to: DeliveryTarget): Promise<void> {
    const timestamp = Math.floor(this.options.now().getTime() / 1000);
    const body = JSON.stringify({
      type: 'send.alert',
      deliveryId: outgoing.deliveryId,
      timestamp,
      text: `${outgoing.payload.title} — ${outgoing.payload.link}`,
      audience: { role: to.role, teamId: to.teamId },
      alert: outgoing.payload,
    });
    const response = await fetch(this.options.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        [SIGNATURE_HEADER]: signWebhookBody(body, this.options.secret),
        [TIMESTAMP_HEADER]: String(timestamp),
        [DELIVERY_HEADER]: outgoing.deliveryId,
      },
      body,
      signal: AbortSignal.timeout(this.options.timeoutMs ?? 10_000),
    });
    // Drain the body so the connection is released.
    await response.arrayBuffer().catch(() => undefined);
    if (!response.ok) throw new Error(`Webhook answered ${response.status} ${response.statusText}`);
  }
}
