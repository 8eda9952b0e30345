import { alertPayload, renderAlert, type AlertPayload, type AlertSummary, type RenderedAlert, type RenderOptions } from '../templates';
import type { Recipient } from '../recipients';

export type ChannelName = 'email' | 'notify' | 'webhook' | 'in_app';
export const CHANNEL_NAMES: readonly ChannelName[] = ['email', 'notify', 'webhook', 'in_app'];

/**
 * Who a delivery is for. Person channels (email, Notify) get one delivery per recipient; audience
 * channels (a team's webhook, the in-app live stream) one per alert, addressed to the role and
 * team, so a Teams channel does not see the same alert once per manager.
 */
export interface DeliveryTarget {
  role: string;
  teamId: string | null;
  /** Everyone the alert is for (routing for the live stream). */
  userIds: string[];
  /** Set for person channels. */
  recipient?: Recipient;
}

/** One delivery: the alert, already worded, and its id (stable across retries: a dedupe key). */
export interface OutgoingAlert {
  deliveryId: string;
  alert: AlertSummary;
  message: RenderedAlert;
  payload: AlertPayload;
}

export interface NotificationChannel {
  readonly name: ChannelName;
  readonly fanOut: 'recipient' | 'audience';
  /**
   * Sent by the dispatcher itself as it reads the alert, instead of through the delivery queue: for
   * a channel whose send is one quick write to the Redis the dispatcher depends on anyway, and that
   * sends once per delivery id by itself (in-app). A failure fails the dispatch, which is retried.
   */
  readonly immediate?: boolean;
  /** Resolves once delivered; throws to be retried; throws PermanentDeliveryError to stop retrying. */
  send(outgoing: OutgoingAlert, to: DeliveryTarget): Promise<void>;
  close?(): Promise<void>;
}

/** The delivery of `alert` under `deliveryId`, worded for every channel. */
export function outgoingAlert(deliveryId: string, alert: AlertSummary, options: RenderOptions = {}): OutgoingAlert {
  let message: RenderedAlert | undefined;
  return {
    deliveryId,
    alert,
    payload: alertPayload(alert, options),
    // Worded when a channel reads it: in-app sends the payload alone, and the wording formats its
    // dates with Intl, which showed in the worker's CPU profile under load.
    get message() {
      return (message ??= renderAlert(alert, options));
    },
  };
}

/** A failure that retrying cannot fix (a rejected template, a missing address): fail now. */
export class PermanentDeliveryError extends Error {
  override readonly name = 'PermanentDeliveryError';
}

export function requireRecipient(channel: ChannelName, to: DeliveryTarget): Recipient {
  if (!to.recipient) throw new PermanentDeliveryError(`${channel}: delivery has no recipient`);
  if (!to.recipient.email) throw new PermanentDeliveryError(`${channel}: recipient ${to.recipient.userId} has no email address`);
  return to.recipient;
}
