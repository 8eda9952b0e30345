import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { defaultPolicy, parsePolicy, type Policy } from '@send/sla';

/** Environment flags are strings; accept the usual spellings and nothing else. */
const flag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no', ''])
  .default('false')
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const DEV_JWT_SECRET = 'dev-only-not-a-secret-change-me-in-production';

const baseShape = {
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().min(1).default('0.0.0.0'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  EVENT_STORE: z.enum(['sqlite', 'kurrentdb', 'postgres']).default('sqlite'),
  SQLITE_PATH: z.string().min(1).default('./data/events.db'),
  KURRENTDB_URL: z.string().startsWith('kurrentdb', 'must be a kurrentdb:// connection string').optional(),
  // EVENT_STORE=postgres (ADR 0012): the server, the schema the store creates and migrates at start,
  // the pool's connections per process (plus one listening), and the append size limit of every store.
  POSTGRES_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// connection string')
    .optional(),
  POSTGRES_SCHEMA: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]{0,62}$/, 'must be letters, digits and underscores (at most 63), e.g. send_events')
    .default('send_events'),
  POSTGRES_POOL_SIZE: z.coerce.number().int().min(1).max(1000).default(10),
  EVENT_STORE_MAX_APPEND_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .max(64 * 1024 * 1024)
    .default(1024 * 1024),
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
  // POST /api/telephony/calls verifies X-Signature (HMAC-SHA256 of the raw body) with it; unset, the route answers 503.
  TELEPHONY_SECRET: z.string().min(16, 'must be at least 16 characters').optional(),
  TIMER_RECONCILE_EVERY: z.coerce.number().int().min(1000).default(300_000),
  // Requests whose folded state the api keeps in memory (ADR 0003); 0 reads every stream per command.
  COMMAND_CACHE_STREAMS: z.coerce.number().int().min(0).max(1_000_000).default(10_000),
  // How old (ms) a live SLA dashboard may be: one computation serves every manager within it; 0 computes each time.
  DASHBOARD_LIVE_MAX_AGE: z.coerce.number().int().min(0).max(600_000).default(2_000),
  // GET /metrics: with a token, only `Authorization: Bearer <token>`; without, not served in production.
  METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  // The worker has no HTTP server: it serves its /metrics on this port when set.
  METRICS_PORT: z.coerce.number().int().min(1).max(65535).optional(),
};

const envSchema = z.object(baseShape);

function refineBase(env: Env, ctx: z.RefinementCtx): void {
  if (env.EVENT_STORE === 'kurrentdb' && !env.KURRENTDB_URL) {
    ctx.addIssue({ code: 'custom', path: ['KURRENTDB_URL'], message: 'is required when EVENT_STORE=kurrentdb' });
  }
  if (env.EVENT_STORE === 'postgres' && !env.POSTGRES_URL) {
    ctx.addIssue({
      code: 'custom',
      path: ['POSTGRES_URL'],
      message: 'is required when EVENT_STORE=postgres (e.g. postgres://send:secret@db:5432/send)',
    });
  }
  if (env.NODE_ENV === 'production' && env.JWT_SECRET === DEV_JWT_SECRET) {
    ctx.addIssue({ code: 'custom', path: ['JWT_SECRET'], message: 'must be set in production' });
  }
  // Demo accounts share one known password: never in production.
  if (env.NODE_ENV === 'production' && env.DEMO) {
    ctx.addIssue({ code: 'custom', path: ['DEMO'], message: 'is not allowed in production (demo accounts share a known password)' });
  }
}

export type Env = z.infer<typeof envSchema>;
export type AppConfig = Env & { policy: Policy };

/**
 * A library's own settings: its zod shape and the rules that span two of its variables. The app
 * that runs the library passes it to loadConfig, so the platform knows no library's variables
 * (e.g. `notificationsEnv` from @send/notifications) and one bad setting still stops the app at
 * start with its name.
 */
export interface ConfigFragment<S extends z.ZodRawShape = z.ZodRawShape> {
  shape: S;
  refine?(env: z.infer<z.ZodObject<S>>, ctx: z.RefinementCtx): void;
}

/** Raised for any bad setting; the message names the variable, so the app can stop with it as is. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** Reads and validates the process environment (with the app's library fragments) and the policy file once, at start. */
export function loadConfig<S extends z.ZodRawShape = {}>(
  env: NodeJS.ProcessEnv = process.env,
  fragment?: ConfigFragment<S>,
): AppConfig & z.infer<z.ZodObject<S>> {
  // An empty variable (FOO= or compose's ${FOO:-}) means "not set": take the default.
  env = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== ''));
  const schema = z.object({ ...baseShape, ...fragment?.shape }).superRefine((parsedEnv: unknown, ctx) => {
    fragment?.refine?.(parsedEnv as z.infer<z.ZodObject<S>>, ctx);
    refineBase(parsedEnv as Env, ctx);
  });
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => {
      const name = i.path.join('.');
      const value = env[name];
      // Secrets and URLs that may carry a password are never echoed: a config error ends up in logs.
      const shown = value === undefined ? '' : SECRET_SETTING.test(name) ? ' (value not shown)' : ` (got ${JSON.stringify(value)})`;
      return `${name}: ${i.message}${shown}`;
    });
    throw new ConfigError(`Invalid configuration:\n  ${lines.join('\n  ')}`);
  }
  const data = parsed.data as unknown as Env & z.infer<z.ZodObject<S>>;
  return { ...data, policy: loadPolicy(data.POLICY_FILE) };
}

/** A connection URL fit for a log line: any user and password replaced by `***`. */
export const withoutCredentials = (url: string): string => url.replace(/\/\/[^@/]*@/, '//***@');

/** Settings whose values are secret, or may hold a password (connection URLs). */
const SECRET_SETTING = /SECRET|TOKEN|PASSWORD|KEY|_URL$/;

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
