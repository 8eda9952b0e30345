import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { notificationsEnvShape, refineNotificationsEnv } from '@send/notifications';
import { defaultPolicy, parsePolicy, type Policy } from '@send/sla';

/** Environment flags are strings; accept the usual spellings and nothing else. */
const flag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no', ''])
  .default('false')
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const DEV_JWT_SECRET = 'dev-only-not-a-secret-change-me-in-production';

const envSchema = z
  .object({
    NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
    PORT: z.coerce.number().int().min(0).max(65535).default(3000),
    HOST: z.string().min(1).default('0.0.0.0'),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    EVENT_STORE: z.enum(['sqlite', 'kurrentdb']).default('sqlite'),
    SQLITE_PATH: z.string().min(1).default('./data/events.db'),
    KURRENTDB_URL: z.string().startsWith('kurrentdb', 'must be a kurrentdb:// connection string').optional(),
    REDIS_URL: z
      .string()
      .regex(/^rediss?:\/\//, 'must start with redis:// or rediss://')
      .default('redis://127.0.0.1:6379'),
    POLICY_FILE: z.string().min(1).optional(),
    DEMO: flag,
    DEMO_DATA: flag,
    DEMO_PASSWORD: z.string().min(1).default('demo'),
    JWT_SECRET: z.string().min(16, 'must be at least 16 characters').default(DEV_JWT_SECRET),
    JWT_TTL: z
      .string()
      .regex(/^\d+[smhd]$/, 'must look like 30m, 8h or 1d')
      .default('8h'),
    TELEPHONY_SECRET: z.string().min(16, 'must be at least 16 characters').optional(),
    // Alert channels (email, GOV.UK Notify, webhook); in-app live alerts are always on.
    ...notificationsEnvShape,
    TIMER_RECONCILE_EVERY: z.coerce.number().int().min(1000).default(300_000),
    // GET /metrics: with a token, only `Authorization: Bearer <token>`; without, not served in production.
    METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
    // The worker has no HTTP server: it serves its /metrics on this port when set.
    METRICS_PORT: z.coerce.number().int().min(1).max(65535).optional(),
  })
  .superRefine((env, ctx) => {
    refineNotificationsEnv(env, ctx);
    if (env.EVENT_STORE === 'kurrentdb' && !env.KURRENTDB_URL) {
      ctx.addIssue({ code: 'custom', path: ['KURRENTDB_URL'], message: 'is required when EVENT_STORE=kurrentdb' });
    }
    if (env.NODE_ENV === 'production' && env.JWT_SECRET === DEV_JWT_SECRET) {
      ctx.addIssue({ code: 'custom', path: ['JWT_SECRET'], message: 'must be set in production' });
    }
  });

export type Env = z.infer<typeof envSchema>;
export type AppConfig = Env & { policy: Policy };

/** Raised for any bad setting; the message names the variable, so the app can stop with it as is. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** Reads and validates the process environment and the policy file once, at start. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  // An empty variable (FOO= or compose's ${FOO:-}) means "not set": take the default.
  env = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== ''));
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => {
      const name = i.path.join('.');
      const value = env[name];
      return `${name}: ${i.message}${value === undefined ? '' : ` (got ${JSON.stringify(value)})`}`;
    });
    throw new ConfigError(`Invalid configuration:\n  ${lines.join('\n  ')}`);
  }
  return { ...parsed.data, policy: loadPolicy(parsed.data.POLICY_FILE) };
}

function loadPolicy(file: string | undefined): Policy {
  if (!file) return defaultPolicy;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`POLICY_FILE: cannot read ${file}: ${(err as Error).message}`);
  }
  try {
    return parsePolicy(text, 'POLICY_FILE');
  } catch (err) {
    throw new ConfigError((err as Error).message);
  }
}

export const APP_CONFIG = Symbol('APP_CONFIG');
