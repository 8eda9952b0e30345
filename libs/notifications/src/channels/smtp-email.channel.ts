import nodemailer, { type Transporter } from 'nodemailer';
import { requireRecipient, type DeliveryTarget, type NotificationChannel, type OutgoingAlert } from './channel';

export interface SmtpEmailChannelOptions {
  /** smtp://host:port or smtps://user:pass@host:port */
  url: string;
  from: string;
}

/**
 * Email over SMTP (nodemailer). The Message-ID is the delivery id, so a re-sent retry can be spotted.
 * Connections are pooled (nodemailer's pool: up to 5, reused for 100 messages each): a connection,
 * greeting and EHLO per message held the delivery queue to a few messages a second on a busy host,
 * and alerts waited behind one another (the fault proof saw a backlog of over a thousand). Alerts and
 * the family's messages have a pool each, so a mail server stalling on one kind never holds the other
 * (with one pool, five family messages in a slow exchange left no connection for a manager's alert).
 */
export class SmtpEmailChannel implements NotificationChannel {
  readonly name = 'email' as const;
  readonly fanOut = 'recipient' as const;
  private readonly alerts: Transporter;
  private readonly family: Transporter;

  constructor(private readonly options: SmtpEmailChannelOptions) {
    this.alerts = nodemailer.createTransport(pooled(options.url));
    this.family = nodemailer.createTransport(pooled(options.url));
  }

  async send(outgoing: OutgoingAlert, to: DeliveryTarget): Promise<void> {
    const recipient = requireRecipient(this.name, to);
    await this.alerts.sendMail({
      from: this.options.from,
      to: recipient.email,
      subject: outgoing.message.subject,
      text: outgoing.message.text,
      html: outgoing.message.html,
      messageId: `<${outgoing.deliveryId}@send-alerts>`,
    });
  }

  /** A message to one person that is not an alert (the family's updates): plain text only. */
  async sendPlain(message: { deliveryId: string; to: string; subject: string; text: string }): Promise<void> {
    await this.family.sendMail({
      from: this.options.from,
      to: message.to,
      subject: message.subject,
      text: message.text,
      messageId: `<${message.deliveryId}@send-family>`,
    });
  }

  async close(): Promise<void> {
    this.alerts.close();
    this.family.close();
  }
}

/** The URL with `pool=true` unless it says otherwise (`?pool=false` turns pooling off). */
function pooled(url: string): string {
  const parsed = new URL(url);
  if (!parsed.searchParams.has('pool')) parsed.searchParams.set('pool', 'true');
  return parsed.toString();
}
