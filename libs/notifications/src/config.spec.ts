import { z } from 'zod';
import { notificationsConfigFrom, notificationsEnvSchema, notificationsEnvShape, refineNotificationsEnv } from './config';

const KEY = 'live_key-26785a09-ab16-4eb0-8407-a37497a57506-3d844edf-8d35-48ac-975b-e847b4f122b0';
const issues = (env: Record<string, string>) => {
  const r = notificationsEnvSchema.safeParse(env);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
};

describe('notifications config', () => {
  it('turns nothing on but in-app when nothing is set', () => {
    const env = notificationsEnvSchema.parse({});
    expect(notificationsConfigFrom(env)).toEqual({});
  });

  it('family messages: off when asked; texts with a Notify SMS template', () => {
    expect(notificationsConfigFrom(notificationsEnvSchema.parse({ FAMILY_NOTIFICATIONS: 'off' }))).toEqual({ family: false });
    const env = notificationsEnvSchema.parse({
      NOTIFY_API_KEY: KEY,
      NOTIFY_TEMPLATE_ID: 'f33517ff-2a88-4f6e-b855-c550268ce08a',
      NOTIFY_SMS_TEMPLATE_ID: '0d6a1b8e-4d1c-4a59-9d5c-2b1f4f8e9a10',
    });
    expect(notificationsConfigFrom(env).notify?.smsTemplateId).toBe('0d6a1b8e-4d1c-4a59-9d5c-2b1f4f8e9a10');
    expect(() => notificationsEnvSchema.parse({ FAMILY_NOTIFICATIONS: 'maybe' })).toThrow(/on or off/);
  });

  it('groups each channel’s settings when they are set', () => {
    const env = notificationsEnvSchema.parse({
      SMTP_URL: 'smtp://127.0.0.1:2525',
      NOTIFY_API_KEY: KEY,
      NOTIFY_TEMPLATE_ID: 'f33517ff-2a88-4f6e-b855-c550268ce08a',
      WEBHOOK_URL: 'https://hooks.example.org/send',
      WEBHOOK_SECRET: 'sixteen-chars-at-least',
      PUBLIC_BASE_URL: 'https://send.example.gov.uk',
    });
    expect(notificationsConfigFrom(env)).toEqual({
      smtp: { url: 'smtp://127.0.0.1:2525', from: 'SEND case system <no-reply@send.invalid>' },
      notify: { apiKey: KEY, baseUrl: 'https://api.notifications.service.gov.uk', templateId: 'f33517ff-2a88-4f6e-b855-c550268ce08a' },
      webhook: { url: 'https://hooks.example.org/send', secret: 'sixteen-chars-at-least' },
      publicBaseUrl: 'https://send.example.gov.uk',
    });
  });

  it('names the variable and the rule when a setting is wrong', () => {
    expect(issues({ SMTP_URL: 'http://mail' })).toEqual(['SMTP_URL: must start with smtp:// or smtps:// (e.g. smtp://127.0.0.1:2525)']);
    expect(issues({ NOTIFY_API_KEY: KEY })).toEqual(['NOTIFY_TEMPLATE_ID: is required when NOTIFY_API_KEY is set']);
    expect(issues({ WEBHOOK_URL: 'https://hooks.example.org' })).toEqual([
      'WEBHOOK_SECRET: is required when WEBHOOK_URL is set (receivers check the signature)',
    ]);
    expect(issues({ WEBHOOK_URL: 'https://hooks.example.org', WEBHOOK_SECRET: 'short' })).toEqual([
      'WEBHOOK_SECRET: must be at least 16 characters',
    ]);
  });

  it('merges into another schema (the platform config) with its cross-field rules', () => {
    const merged = z.object({ PORT: z.coerce.number().default(3000), ...notificationsEnvShape }).superRefine(refineNotificationsEnv);
    expect(merged.safeParse({ NOTIFY_API_KEY: KEY }).success).toBe(false);
    expect(merged.parse({ PORT: '8080' })).toMatchObject({ PORT: 8080, MAIL_FROM: 'SEND case system <no-reply@send.invalid>' });
  });
});
