import nodemailer, { type Transporter } from 'nodemailer';
import { requireRecipient, type DeliveryTarget, type NotificationChannel, type OutgoingAlert } from './channel';

export interface SmtpEmailChannelOptions {
  /** smtp://host:port or smtps://user:pass@host:port */
  url: string;
  from: string;
}

/** Email over SMTP (nodemailer). The Message-ID is the delivery id, so a re-sent retry can be spotted. */
export class SmtpEmailChannel implements NotificationChannel {
  readonly name = 'email' as const;
  readonly fanOut = 'recipient' as const;
  private readonly transport: Transporter;

  constructor(private readonly options: SmtpEmailChannelOptions) {
    this.transport = nodemailer.createTransport(options.url);
  }

  async send(outgoing: OutgoingAlert, to: DeliveryTarget): Promise<void> {
    const recipient = requireRecipient(this.name, to);
    await this.transport.sendMail({
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
    await this.transport.sendMail({
      from: this.options.from,
      to: message.to,
      subject: message.subject,
      text: message.text,
      messageId: `<${message.deliveryId}@send-family>`,
    });
  }

  async close(): Promise<void> {
    this.transport.close();
  }
}
