import { z } from 'zod';

/**
 * The notification settings, as a fragment the app merges into the platform config
 * (`loadConfig(env, notificationsEnv)`; every one optional: with none set only in-app live alerts
 * are on). `refineNotificationsEnv` holds the rules that span two variables.
 */
export const notificationsEnvShape = {
  SMTP_URL: z
    .string()
    .regex(/^smtps?:\/\//, 'must start with smtp:// or smtps:// (e.g. smtp://127.0.0.1:2525)')
    .optional(),
  MAIL_FROM: z.string().min(3).default('SEND case system <no-reply@send.invalid>'),
  NOTIFY_API_KEY: z
    .string()
    .regex(/^.+-[0-9a-f-]{36}-[0-9a-f-]{36}$/, 'must be a GOV.UK Notify API key (<name>-<service id>-<secret>)')
    .optional(),
  NOTIFY_BASE_URL: z
    .url({ error: 'must be a URL (e.g. https://api.notifications.service.gov.uk)' })
    .default('https://api.notifications.service.gov.uk'),
  NOTIFY_TEMPLATE_ID: z.uuid({ error: 'must be the UUID of a Notify email template' }).optional(),
  /** A Notify text message template whose content is ((body)): families who chose texts get them through it. */
  NOTIFY_SMS_TEMPLATE_ID: z.uuid({ error: 'must be the UUID of a Notify text message template' }).optional(),
  /** Tell families where their request stands (ADR 0009): on unless set to off. */
  FAMILY_NOTIFICATIONS: z.enum(['on', 'off'], { error: 'must be on or off' }).default('on'),
  WEBHOOK_URL: z.url({ error: 'must be a URL (e.g. https://example.webhook.office.com/...)' }).optional(),
  WEBHOOK_SECRET: z.string().min(16, 'must be at least 16 characters').optional(),
  /** Makes links in messages absolute (https://send.example.gov.uk/requests/<id>). */
  PUBLIC_BASE_URL: z.url({ error: 'must be a URL' }).optional(),
};

type NotificationsEnvInput = { [K in keyof typeof notificationsEnvShape]: z.infer<(typeof notificationsEnvShape)[K]> };

export function refineNotificationsEnv(env: Partial<NotificationsEnvInput>, ctx: z.RefinementCtx): void {
  if (env.NOTIFY_API_KEY && !env.NOTIFY_TEMPLATE_ID) {
    ctx.addIssue({ code: 'custom', path: ['NOTIFY_TEMPLATE_ID'], message: 'is required when NOTIFY_API_KEY is set' });
  }
  if (env.WEBHOOK_URL && !env.WEBHOOK_SECRET) {
    ctx.addIssue({
      code: 'custom',
      path: ['WEBHOOK_SECRET'],
      message: 'is required when WEBHOOK_URL is set (receivers check the signature)',
    });
  }
}

export const notificationsEnvSchema = z.object(notificationsEnvShape).superRefine(refineNotificationsEnv);

/** For the platform's loadConfig(env, notificationsEnv): the app that runs notifications adds its settings. */
export const notificationsEnv = {
  shape: notificationsEnvShape,
  refine: refineNotificationsEnv,
  // Each may be given as NAME_FILE (a mounted secret) instead: SMTP and webhook URLs can carry a password or token.
  secretFiles: ['SMTP_URL', 'NOTIFY_API_KEY', 'WEBHOOK_URL', 'WEBHOOK_SECRET'] as const,
};
export type NotificationsEnv = z.infer<typeof notificationsEnvSchema>;

/** What the channels need, grouped; a channel is on when its group is present. */
export interface NotificationsConfig {
  smtp?: { url: string; from: string };
  notify?: { apiKey: string; baseUrl: string; templateId: string; smsTemplateId?: string };
  /** Messages to families about their requests: on unless false. */
  family?: boolean;
  webhook?: { url: string; secret: string };
  /** Redis pub/sub channel of the in-app live alerts (the api's /api/alerts/stream subscribes). */
  inAppChannel?: string;
  publicBaseUrl?: string;
}

export function notificationsConfigFrom(env: Partial<NotificationsEnv>): NotificationsConfig {
  return {
    ...(env.SMTP_URL ? { smtp: { url: env.SMTP_URL, from: env.MAIL_FROM ?? notificationsEnvShape.MAIL_FROM.parse(undefined) } } : {}),
    ...(env.NOTIFY_API_KEY && env.NOTIFY_TEMPLATE_ID
      ? {
          notify: {
            apiKey: env.NOTIFY_API_KEY,
            baseUrl: env.NOTIFY_BASE_URL ?? 'https://api.notifications.service.gov.uk',
            templateId: env.NOTIFY_TEMPLATE_ID,
            ...(env.NOTIFY_SMS_TEMPLATE_ID ? { smsTemplateId: env.NOTIFY_SMS_TEMPLATE_ID } : {}),
          },
        }
      : {}),
    ...(env.WEBHOOK_URL && env.WEBHOOK_SECRET ? { webhook: { url: env.WEBHOOK_URL, secret: env.WEBHOOK_SECRET } } : {}),
    ...(env.PUBLIC_BASE_URL ? { publicBaseUrl: env.PUBLIC_BASE_URL } : {}),
    ...(env.FAMILY_NOTIFICATIONS === 'off' ? { family: false } : {}),
  };
}
