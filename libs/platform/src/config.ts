import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { defaultPolicy, parsePolicy, type Policy } from '@send/sla';
import { readSecretFiles, SECRET_FILE_SETTINGS } from './secret-files';

/** Environment flags are strings; accept the usual spellings and nothing else. */
const flag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no', ''])
  .default('false')
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

/** As `flag`, on unless turned off. */
const flagOn = z
  .enum(['true', 'false', '1', '0', 'yes', 'no', ''])
  .default('true')
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const DEV_JWT_SECRET = 'dev-only-not-a-secret-change-me-in-production';

const baseShape = {
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().min(1).default('0.0.0.0'),
  // Proxies whose X-Forwarded-For / -Proto the api believes (addresses or CIDRs, comma-separated), e.g.
  // the council's load balancer. Empty: none, so a client cannot choose the address sign-in limits count.
  TRUSTED_PROXIES: z
    .string()
    .default('')
    .transform((v) =>
      v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.string().regex(/^[0-9a-fA-F:.]+(\/\d{1,3})?$/, 'must be IP addresses or CIDR ranges, comma-separated'))),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  EVENT_STORE: z.enum(['sqlite', 'kurrentdb', 'postgres']).default('sqlite'),
  SQLITE_PATH: z.string().min(1).default('./data/events.db'),
  // Where the SQLite store's group commits run (ADR 0018): 'thread' (a writer thread owns the write
  // connection, so no request waits behind a commit's fsync) or 'inline' (on the app's own thread).
  // Unset: 'thread' for a file, 'inline' for ':memory:'.
  SQLITE_WRITER: z.enum(['thread', 'inline']).optional(),
  // The access log (who of the staff read which request, case or timeline): its own SQLite file, apart
  // from the domain events and durable (Redis keeps nothing on disk). Unset: access-log.db beside
  // SQLITE_PATH (DATA_DIR/access-log.db under npm start); read it through accessLogPathOf.
  ACCESS_LOG_PATH: z.string().min(1).optional(),
  KURRENTDB_URL: z.string().startsWith('kurrentdb', 'must be a kurrentdb:// connection string').optional(),
  // --- KurrentDB connection (EVENT_STORE=kurrentdb; docs/operations.md "KurrentDB", ADR 0013) ---
  // KURRENTDB_URL names the node, or the cluster: gossip seeds (kurrentdb://a:2113,b:2113,c:2113) or
  // its DNS name (kurrentdb+discover://cluster:2113). The settings below sit apart from it, so the
  // password is in no URL: give it in KURRENTDB_PASSWORD or, better, a mounted KURRENTDB_PASSWORD_FILE.
  // It is never logged (nor echoed by a config error); the other settings override the URL's own.
  KURRENTDB_USERNAME: z.string().min(1).optional(),
  KURRENTDB_PASSWORD: z.string().min(1).optional(),
  KURRENTDB_PASSWORD_FILE: z.string().min(1).optional(),
  // false only for a server run with --insecure.
  KURRENTDB_TLS: z
    .enum(['true', 'false'])
    .transform((v) => v === 'true')
    .optional(),
  // The CA that signed the server's certificate, when it is not a public one (PEM file).
  KURRENTDB_TLS_CA_FILE: z.string().min(1).optional(),
  // Deadline of each call (client defaultDeadline); a call past it is retried, then reported unavailable.
  KURRENTDB_DEADLINE_MS: z.coerce.number().int().min(100).max(600_000).optional(),
  // gRPC keepalive interval and timeout (the client warns below its recommended 10 s).
  KURRENTDB_KEEPALIVE_MS: z.coerce.number().int().min(1_000).max(600_000).optional(),
  // --- end KurrentDB connection ---
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
  // The append size limit of every store. For KurrentDB: its MaxAppendSize, 1 MiB by default through
  // 25.0 (256 MiB from 25.1); raise it only to what the server is set to. Larger appends are refused
  // before sending.
  EVENT_STORE_MAX_APPEND_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .max(64 * 1024 * 1024)
    .default(1024 * 1024),
  // --- Personal data (issue 14, ADR 0016): personal fields of events encrypted under per-person keys ---
  // Off only to measure it (bench:encryption) or to read a store as it is; events already encrypted
  // then read as envelopes, so leave it on once it has been on.
  PERSONAL_DATA_ENCRYPTION: flagOn,
  // The secret the data keys are wrapped under (at least 32 characters), or a file holding it (a
  // mounted secret): one of the two in production. Unset elsewhere: made once, data-keys-secret
  // beside SQLITE_PATH (npm start: DATA_DIR/data-keys-secret), mode 0600.
  DATA_KEYS_SECRET: z.string().min(32, 'must be at least 32 characters (e.g. `openssl rand -base64 32`)').optional(),
  DATA_KEYS_SECRET_FILE: z.string().min(1).optional(),
  // Where the keys live besides SQLite (ADR 0016): a PostgreSQL schema of its own. EVENT_STORE=postgres
  // uses POSTGRES_URL unless this is set; EVENT_STORE=kurrentdb needs it (a stream cannot forget a key).
  DATA_KEYS_POSTGRES_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// connection string')
    .optional(),
  DATA_KEYS_POSTGRES_SCHEMA: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]{0,62}$/, 'must be letters, digits and underscores (at most 63), e.g. send_data_keys')
    .default('send_data_keys'),
  // --- end personal data ---
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
  // How long (ms) a job a worker took stays its own unless renewed: a worker that dies holding a timer or delivery
  // job gives it up after this, and another worker runs it again (BullMQ's lockDuration; stalled jobs are looked for as often).
  JOB_LOCK_DURATION: z.coerce.number().int().min(1000).max(600_000).default(30_000),
  // Requests whose folded state the api keeps in memory (ADR 0003); 0 reads every stream per command.
  COMMAND_CACHE_STREAMS: z.coerce.number().int().min(0).max(1_000_000).default(10_000),
  // Requests whose folded state the worker's timers and its alert dispatcher each keep in memory (the next event is
  // folded on, not the stream read again); bounded, so the worker's memory levels off once they are full.
  WORKER_KEPT_STATES: z.coerce.number().int().min(1).max(1_000_000).default(10_000),
  // The worker's CPU priority (nice, 0-19), set by the worker at start: above 0, on a machine the api shares, requests
  // come before projections and timers, and read models lag more under overload (ADR 0028). 0: as it was started.
  WORKER_NICE: z.coerce.number().int().min(0).max(19).default(0),
  // How old (ms) a live SLA dashboard may be: one computation serves every manager within it; 0 computes each time.
  DASHBOARD_LIVE_MAX_AGE: z.coerce.number().int().min(0).max(600_000).default(2_000),
  // Compute live SLA dashboards in a worker thread of the api (built api only), off the event loop that answers requests.
  DASHBOARD_LIVE_THREAD: flagOn,
  // GET /metrics: with a token, only `Authorization: Bearer <token>`; without, not served in production.
  METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  // The worker has no HTTP server: it serves its /metrics on this port when set.
  METRICS_PORT: z.coerce.number().int().min(1).max(65535).optional(),
  ...oidcShape(),
};

// ---- Staff sign-in through the council's identity provider (OpenID Connect, ADR 0011) -----------
// All optional: none set, sign-in is local accounts only. Set OIDC_ISSUER and the client's settings
// come with it (refineOidc); apps/api/src/web/oidc reads them.

/** The roles a council account may be mapped to: the staff roles of apps/api's auth/roles.ts (a spec keeps the two equal). */
export const OIDC_MAPPABLE_ROLES = ['officer', 'team_manager', 'service_manager', 'head_of_service', 'admin'] as const;
export type OidcMappableRole = (typeof OIDC_MAPPABLE_ROLES)[number];

/**
 * `value=target` pairs separated by commas (`SEND-Officers=officer,SEND-Managers=team_manager`) or a
 * JSON object (`{"SEND-Officers":"officer"}`) for values that hold commas or `=`. Empty keys or
 * targets are refused; `allowed` (when given) limits the targets.
 */
export function parseValueMap(text: string, allowed?: readonly string[]): { map: Record<string, string> } | { error: string } {
  let entries: Array<[string, unknown]>;
  if (text.trim().startsWith('{')) {
    try {
      const parsed: unknown = JSON.parse(text);
      if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return { error: 'must be a JSON object of "value": "target"' };
      entries = Object.entries(parsed);
    } catch (err) {
      return { error: `is not valid JSON (${(err as Error).message})` };
    }
  } else {
    entries = [];
    for (const pair of text
      .split(',')
      .map((p) => p.trim())
      .filter(Boolean)) {
      const at = pair.lastIndexOf('=');
      if (at <= 0) return { error: `"${pair}" is not value=target` };
      entries.push([pair.slice(0, at).trim(), pair.slice(at + 1).trim()]);
    }
  }
  if (entries.length === 0) return { error: 'maps nothing: give at least one value=target' };
  const map: Record<string, string> = {};
  for (const [key, target] of entries) {
    if (!key || typeof target !== 'string' || !target) return { error: `"${key}" must map to a non-empty string` };
    if (allowed && !allowed.includes(target)) return { error: `"${key}" maps to "${target}", which is not one of ${allowed.join(', ')}` };
    map[key] = target;
  }
  return { map };
}

function oidcShape() {
  return {
    // The provider's issuer URL; its /.well-known/openid-configuration is read at the first sign-in.
    OIDC_ISSUER: z
      .url({ error: "must be the identity provider's issuer URL, e.g. https://login.microsoftonline.com/<tenant>/v2.0" })
      .optional(),
    OIDC_CLIENT_ID: z.string().min(1).optional(),
    OIDC_CLIENT_SECRET: z.string().min(1).optional(),
    // Or a file holding it (a mounted Docker or Kubernetes secret): set one of the two.
    OIDC_CLIENT_SECRET_FILE: z.string().min(1).optional(),
    // This system's callback as registered with the provider: https://<host>/sign-in/oidc/callback.
    OIDC_REDIRECT_URL: z.url({ error: "must be this system's /sign-in/oidc/callback URL" }).optional(),
    OIDC_SCOPES: z.string().min(1).default('openid profile email'),
    // The claim whose value(s) decide the role: Entra ID app roles are `roles`, security groups `groups`.
    OIDC_ROLE_CLAIM: z.string().min(1).default('roles'),
    OIDC_ROLE_MAP: z.string().min(1).optional(),
    // The claim naming the team; with OIDC_TEAM_MAP its values are mapped, without it the value is the team id.
    OIDC_TEAM_CLAIM: z.string().min(1).optional(),
    OIDC_TEAM_MAP: z.string().min(1).optional(),
  };
}

function refineOidc(env: Env, ctx: z.RefinementCtx): void {
  const issue = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
  const set = [
    'OIDC_ISSUER',
    'OIDC_CLIENT_ID',
    'OIDC_REDIRECT_URL',
    'OIDC_ROLE_MAP',
    'OIDC_TEAM_CLAIM',
    'OIDC_TEAM_MAP',
    'OIDC_CLIENT_SECRET',
    'OIDC_CLIENT_SECRET_FILE',
  ].filter((k) => env[k as keyof Env] !== undefined);
  if (set.length === 0) return;
  for (const key of ['OIDC_ISSUER', 'OIDC_CLIENT_ID', 'OIDC_REDIRECT_URL', 'OIDC_ROLE_MAP'] as const) {
    if (env[key] === undefined)
      issue(key, `is required when ${set[0]} is set (OpenID Connect sign-in needs the issuer, client, redirect URL and role map)`);
  }
  if (env.OIDC_CLIENT_SECRET === undefined && env.OIDC_CLIENT_SECRET_FILE === undefined) {
    issue('OIDC_CLIENT_SECRET', `or OIDC_CLIENT_SECRET_FILE is required when ${set[0]} is set`);
  }
  // OIDC_CLIENT_SECRET_FILE was read into OIDC_CLIENT_SECRET by readSecretFiles (both set, or unreadable, stopped there).
  if (env.OIDC_TEAM_MAP !== undefined && env.OIDC_TEAM_CLAIM === undefined)
    issue('OIDC_TEAM_CLAIM', 'is required when OIDC_TEAM_MAP is set (the claim whose values it maps)');
  if (env.OIDC_ROLE_MAP !== undefined) {
    const parsed = parseValueMap(env.OIDC_ROLE_MAP, OIDC_MAPPABLE_ROLES);
    if ('error' in parsed) issue('OIDC_ROLE_MAP', parsed.error);
  }
  if (env.OIDC_TEAM_MAP !== undefined) {
    const parsed = parseValueMap(env.OIDC_TEAM_MAP);
    if ('error' in parsed) issue('OIDC_TEAM_MAP', parsed.error);
  }
  // Plain http sends the code and tokens in the clear: only for a provider on this machine outside production.
  for (const key of ['OIDC_ISSUER', 'OIDC_REDIRECT_URL'] as const) {
    const url = env[key];
    if (url && env.NODE_ENV === 'production' && !url.startsWith('https://')) issue(key, 'must be https:// in production');
  }
  if (env.OIDC_REDIRECT_URL && !new URL(env.OIDC_REDIRECT_URL).pathname.endsWith('/sign-in/oidc/callback')) {
    issue('OIDC_REDIRECT_URL', 'must end with /sign-in/oidc/callback (the route that completes the sign-in)');
  }
}
// ---- end of OpenID Connect settings ---------------------------------------------------------------

const envSchema = z.object(baseShape);

function refineBase(env: Env, ctx: z.RefinementCtx): void {
  refineOidc(env, ctx);
  if (env.EVENT_STORE === 'kurrentdb' && !env.KURRENTDB_URL) {
    ctx.addIssue({ code: 'custom', path: ['KURRENTDB_URL'], message: 'is required when EVENT_STORE=kurrentdb' });
  }
  refineKurrentDb(env, ctx);
  if (env.EVENT_STORE === 'postgres' && !env.POSTGRES_URL) {
    ctx.addIssue({
      code: 'custom',
      path: ['POSTGRES_URL'],
      message: 'is required when EVENT_STORE=postgres (e.g. postgres://send:secret@db:5432/send)',
    });
  }
  refinePersonalData(env, ctx);
  if (env.NODE_ENV === 'production' && env.JWT_SECRET === DEV_JWT_SECRET) {
    ctx.addIssue({ code: 'custom', path: ['JWT_SECRET'], message: 'must be set in production' });
  }
  // Demo accounts share one known password: never in production.
  if (env.NODE_ENV === 'production' && env.DEMO) {
    ctx.addIssue({ code: 'custom', path: ['DEMO'], message: 'is not allowed in production (demo accounts share a known password)' });
  }
}

/** The data keys' secret comes once, readable, and in production from the settings; KurrentDB keeps its keys in PostgreSQL. */
function refinePersonalData(env: Env, ctx: z.RefinementCtx): void {
  const issue = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
  // DATA_KEYS_SECRET_FILE was read into DATA_KEYS_SECRET by readSecretFiles, so its length is checked as the setting's own.
  if (!env.PERSONAL_DATA_ENCRYPTION) return;
  if (env.NODE_ENV === 'production' && env.DATA_KEYS_SECRET === undefined && env.DATA_KEYS_SECRET_FILE === undefined)
    issue(
      'DATA_KEYS_SECRET',
      'or DATA_KEYS_SECRET_FILE must be set in production (the key that wraps the personal-data keys; keep it in a secret store)',
    );
  if (env.EVENT_STORE === 'kurrentdb' && env.DATA_KEYS_POSTGRES_URL === undefined)
    issue(
      'DATA_KEYS_POSTGRES_URL',
      'is required when EVENT_STORE=kurrentdb: the personal-data keys live in PostgreSQL, never only in a stream (ADR 0016); or set PERSONAL_DATA_ENCRYPTION=false',
    );
}

/** The KurrentDB credentials come once, whole: a user with one password source, not also in the URL. */
function refineKurrentDb(env: Env, ctx: z.RefinementCtx): void {
  if (env.KURRENTDB_PASSWORD && env.KURRENTDB_PASSWORD_FILE) {
    ctx.addIssue({ code: 'custom', path: ['KURRENTDB_PASSWORD'], message: 'give KURRENTDB_PASSWORD or KURRENTDB_PASSWORD_FILE, not both' });
  }
  const hasPassword = Boolean(env.KURRENTDB_PASSWORD || env.KURRENTDB_PASSWORD_FILE);
  if (env.KURRENTDB_USERNAME && !hasPassword) {
    ctx.addIssue({ code: 'custom', path: ['KURRENTDB_USERNAME'], message: 'needs KURRENTDB_PASSWORD or KURRENTDB_PASSWORD_FILE' });
  }
  if (!env.KURRENTDB_USERNAME && hasPassword) {
    ctx.addIssue({
      code: 'custom',
      path: ['KURRENTDB_USERNAME'],
      message: 'is required with KURRENTDB_PASSWORD or KURRENTDB_PASSWORD_FILE',
    });
  }
  if (env.KURRENTDB_USERNAME && env.KURRENTDB_URL && /\/\/[^/@]*@/.test(env.KURRENTDB_URL)) {
    ctx.addIssue({
      code: 'custom',
      path: ['KURRENTDB_URL'],
      message: 'carries credentials while KURRENTDB_USERNAME is set: keep them out of the URL',
    });
  }
  for (const name of ['KURRENTDB_PASSWORD_FILE', 'KURRENTDB_TLS_CA_FILE'] as const) {
    const file = env[name];
    if (env.EVENT_STORE === 'kurrentdb' && file && !existsSync(file)) {
      ctx.addIssue({ code: 'custom', path: [name], message: `no such file: ${file}` });
    }
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
  /** Its secret settings that may come from a file, NAME_FILE (secret-files.ts). */
  secretFiles?: readonly (keyof S & string)[];
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
  // NAME_FILE read into NAME first, so a secret from a file is validated as one set directly.
  const files = readSecretFiles(env, [...SECRET_FILE_SETTINGS, ...(fragment?.secretFiles ?? [])]);
  env = files.env;
  const schema = z.object({ ...baseShape, ...fragment?.shape }).superRefine((parsedEnv: unknown, ctx) => {
    fragment?.refine?.(parsedEnv as z.infer<z.ZodObject<S>>, ctx);
    refineBase(parsedEnv as Env, ctx);
  });
  const parsed = schema.safeParse(env);
  if (!parsed.success || files.issues.length) {
    const lines = (parsed.error?.issues ?? []).map((i) => {
      const name = i.path.join('.');
      const value = env[name];
      // Secrets and URLs that may carry a password are never echoed: a config error ends up in logs.
      const shown =
        value === undefined
          ? ''
          : files.fromFile.has(name)
            ? ` (read from ${name}_FILE; value not shown)`
            : SECRET_SETTING.test(name)
              ? ' (value not shown)'
              : ` (got ${JSON.stringify(value)})`;
      return `${name}: ${i.message}${shown}`;
    });
    throw new ConfigError(`Invalid configuration:\n  ${[...files.issues, ...lines].join('\n  ')}`);
  }
  const data = parsed.data as unknown as Env & z.infer<z.ZodObject<S>>;
  return { ...data, policy: loadPolicy(data.POLICY_FILE) };
}

/** Where the access log is kept: ACCESS_LOG_PATH, else access-log.db beside the event store's file (in memory when it is). */
export function accessLogPathOf(config: Pick<Env, 'ACCESS_LOG_PATH' | 'SQLITE_PATH'>): string {
  if (config.ACCESS_LOG_PATH) return config.ACCESS_LOG_PATH;
  return config.SQLITE_PATH === ':memory:' ? ':memory:' : join(dirname(config.SQLITE_PATH), 'access-log.db');
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
