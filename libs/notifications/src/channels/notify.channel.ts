import { NotifyClient } from 'notifications-node-client';
import { PermanentDeliveryError, requireRecipient, type DeliveryTarget, type NotificationChannel, type OutgoingAlert } from './channel';

export interface NotifyChannelOptions {
  apiKey: string;
  /** https://api.notifications.service.gov.uk in production; a local stand-in in tests. */
  baseUrl: string;
  /** An email template whose subject is ((subject)) and body ((body)). */
  templateId: string;
  /** A text message template whose content is ((body)): the family's texts (none: no texts). */
  smsTemplateId?: string;
}

/** GOV.UK Notify email. The delivery id is sent as Notify's `reference`, to trace and dedupe. */
export class NotifyChannel implements NotificationChannel {
  readonly name = 'notify' as const;
  readonly fanOut = 'recipient' as const;
  private readonly client: NotifyClient;

  constructor(private readonly options: NotifyChannelOptions) {
    this.client = new NotifyClient(options.baseUrl, options.apiKey);
  }

  async send(outgoing: OutgoingAlert, to: DeliveryTarget): Promise<void> {
    const recipient = requireRecipient(this.name, to);
    try {
      await this.client.sendEmail(this.options.templateId, recipient.email, {
        personalisation: outgoing.message.personalisation,
        reference: outgoing.deliveryId,
      });
    } catch (error) {
      throw notifyError(error);
    }
  }

  /** Texts are on when an SMS template is configured. */
  get sendsSms(): boolean {
    return Boolean(this.options.smsTemplateId);
  }

  /** An email to one person that is not an alert (the family's updates), through the same ((subject))/((body)) template. */
  async sendPlainEmail(message: { deliveryId: string; to: string; subject: string; text: string }): Promise<void> {
    try {
      await this.client.sendEmail(this.options.templateId, message.to, {
        personalisation: { subject: message.subject, body: message.text },
        reference: message.deliveryId,
      });
    } catch (error) {
      throw notifyError(error);
    }
  }

  async sendSms(message: { deliveryId: string; to: string; text: string }): Promise<void> {
    if (!this.options.smsTemplateId) throw new PermanentDeliveryError('Notify: no SMS template configured (NOTIFY_SMS_TEMPLATE_ID)');
    try {
      await this.client.sendSms(this.options.smsTemplateId, message.to, {
        personalisation: { body: message.text },
        reference: message.deliveryId,
      });
    } catch (error) {
      throw notifyError(error);
    }
  }
}

/**
 * Notify's 400 (bad template or address) and 403 (bad key) will not pass on retry; 429 and 5xx may.
 * Only the status and Notify's error messages are kept: never the request, which holds the address.
 */
function notifyError(error: unknown): Error {
  const response = (error as { response?: { status?: number; data?: { errors?: Array<{ error?: string; message?: string }> } } }).response;
  if (!response?.status) return new Error(`Notify: ${(error as Error).message}`);
  const details = (response.data?.errors ?? []).map((e) => `${e.error ?? ''}: ${e.message ?? ''}`).join('; ');
  const message = `Notify answered ${response.status}${details ? ` (${details})` : ''}`;
  return response.status === 400 || response.status === 403 ? new PermanentDeliveryError(message) : new Error(message);
}
