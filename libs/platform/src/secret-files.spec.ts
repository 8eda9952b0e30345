import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { notificationsEnv } from '@send/notifications';
import { ConfigError, loadConfig } from './config';
import { SECRET_FILE_SETTINGS } from './secret-files';

const dir = mkdtempSync(join(tmpdir(), 'secret-files-'));
let n = 0;
/** A mounted secret as Docker and Kubernetes write it: the value and a newline. */
const secretFile = (value: string) => {
  const file = join(dir, `secret-${n++}`);
  writeFileSync(file, `${value}\n`, { mode: 0o600 });
  return file;
};
const configError = (run: () => unknown): string => {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('expected a ConfigError');
};

// A valid value for each platform secret setting (OIDC_CLIENT_SECRET needs the rest of OIDC: oidc-config.spec.ts).
const VALID: Record<string, string> = {
  JWT_SECRET: 'jwt-secret-from-a-mounted-file',
  TELEPHONY_SECRET: 'telephony-secret-from-a-file',
  METRICS_TOKEN: 'metrics-token-from-a-file',
  DATA_KEYS_SECRET: 'k'.repeat(44),
  REDIS_URL: 'redis://:redis-password@cache:6379',
  POSTGRES_URL: 'postgres://send:pg-password@db:5432/send',
  DATA_KEYS_POSTGRES_URL: 'postgres://keys:keys-password@db:5432/send',
};

describe('secret settings from files (NAME_FILE)', () => {
  it.each(SECRET_FILE_SETTINGS.filter((name) => name !== 'OIDC_CLIENT_SECRET'))('reads %s from %s_FILE, without the newline', (name) => {
    const config = loadConfig({ [`${name}_FILE`]: secretFile(VALID[name]!) }) as unknown as Record<string, unknown>;
    expect(config[name]).toBe(VALID[name]);
  });

  it("reads a library's secrets from files too (the notifications settings the apps load)", () => {
    const config = loadConfig(
      {
        WEBHOOK_URL_FILE: secretFile('https://example.webhook.office.com/webhookb2/token-in-the-url'),
        WEBHOOK_SECRET_FILE: secretFile('webhook-secret-from-a-file'),
        NOTIFY_API_KEY_FILE: secretFile('live_key-26785a09-ab16-4eb0-8407-a37497a57506-3d844edf-8d35-48ac-975b-e847b4f122b0'),
        NOTIFY_TEMPLATE_ID: '0b6a6a3e-5b0e-4c36-8f6f-2d7c3f2b9a11',
        SMTP_URL_FILE: secretFile('smtps://mailer:smtp-password@mail.example.org:465'),
      },
      notificationsEnv,
    );
    expect(config).toMatchObject({
      WEBHOOK_URL: 'https://example.webhook.office.com/webhookb2/token-in-the-url',
      WEBHOOK_SECRET: 'webhook-secret-from-a-file',
      NOTIFY_API_KEY: expect.stringMatching(/^live_key-/),
      SMTP_URL: 'smtps://mailer:smtp-password@mail.example.org:465',
    });
  });

  it('refuses both NAME and NAME_FILE, naming the two and showing neither value', () => {
    const message = configError(() =>
      loadConfig({ JWT_SECRET: 'the-value-in-the-environment', JWT_SECRET_FILE: secretFile('the-value-in-the-file') }),
    );
    expect(message).toContain('JWT_SECRET_FILE: set JWT_SECRET or JWT_SECRET_FILE, not both');
    expect(message).not.toContain('the-value-in');
  });

  it.each([
    ['a missing file', join(dir, 'nowhere'), /TELEPHONY_SECRET_FILE: cannot read .*nowhere: ENOENT/],
    ['a directory', (() => (mkdirSync(join(dir, 'a-dir')), join(dir, 'a-dir')))(), /TELEPHONY_SECRET_FILE: cannot read .*a-dir: EISDIR/],
    ['an empty file', secretFile(''), /TELEPHONY_SECRET_FILE: .* is empty/],
  ])('stops on %s with the setting, the path and the reason', (_what, file, message) => {
    expect(configError(() => loadConfig({ TELEPHONY_SECRET_FILE: file }))).toMatch(message);
  });

  it("validates a file's value as the setting's own, saying where it came from and never showing it", () => {
    const message = configError(() => loadConfig({ METRICS_TOKEN_FILE: secretFile('short-tok') }));
    expect(message).toContain('METRICS_TOKEN: must be at least 16 characters (read from METRICS_TOKEN_FILE; value not shown)');
    expect(message).not.toContain('short-tok');
    // A URL read from a file is not echoed either, though plain URLs in errors usually are.
    const url = configError(() => loadConfig({ REDIS_URL_FILE: secretFile('http://:pw-in-url@cache:6379') }));
    expect(url).toMatch(/REDIS_URL: must start with redis:\/\/ .*value not shown/);
    expect(url).not.toContain('pw-in-url');
  });

  it('lets production start with the token signing secret from a file', () => {
    const config = loadConfig({
      NODE_ENV: 'production',
      JWT_SECRET_FILE: secretFile(VALID.JWT_SECRET!),
      DATA_KEYS_SECRET_FILE: secretFile(VALID.DATA_KEYS_SECRET!),
    });
    expect(config.JWT_SECRET).toBe(VALID.JWT_SECRET);
  });
});
