import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { defaultPolicy } from '@send/sla';
import { eventStoreConfig } from '@send/event-store';
import { accessLogPathOf, ConfigError, loadConfig, withoutCredentials, type ConfigFragment } from './config';

describe('loadConfig', () => {
  it('gives the embedded defaults of shared API.md when nothing is set', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      PORT: 3000,
      EVENT_STORE: 'sqlite',
      SQLITE_PATH: './data/events.db',
      REDIS_URL: 'redis://127.0.0.1:6379',
      DEMO: false,
      DEMO_PASSWORD: 'demo',
    });
    expect(config.policy).toBe(defaultPolicy);
  });

  it('keeps the access log beside the event store unless ACCESS_LOG_PATH says where', () => {
    expect(accessLogPathOf(loadConfig({}))).toBe(join('data', 'access-log.db'));
    expect(accessLogPathOf(loadConfig({ SQLITE_PATH: '/srv/send/events.db' }))).toBe('/srv/send/access-log.db');
    expect(accessLogPathOf(loadConfig({ SQLITE_PATH: ':memory:' }))).toBe(':memory:');
    expect(accessLogPathOf(loadConfig({ ACCESS_LOG_PATH: '/audit/access.db' }))).toBe('/audit/access.db');
  });

  it('selects PostgreSQL with its URL, schema, pool size and the append limit', () => {
    expect(loadConfig({ EVENT_STORE: 'postgres', POSTGRES_URL: 'postgres://send@db:5432/send' })).toMatchObject({
      EVENT_STORE: 'postgres',
      POSTGRES_URL: 'postgres://send@db:5432/send',
      POSTGRES_SCHEMA: 'send_events',
      POSTGRES_POOL_SIZE: 10,
      EVENT_STORE_MAX_APPEND_BYTES: 1024 * 1024,
    });
    expect(loadConfig({ EVENT_STORE: 'postgres', POSTGRES_URL: 'postgresql://db/send', POSTGRES_POOL_SIZE: '25' }).POSTGRES_POOL_SIZE).toBe(
      25,
    );
  });

  it('leaves the worker at the priority it was started with unless told otherwise (ADR 0028)', () => {
    expect(loadConfig({}).WORKER_NICE).toBe(0);
    expect(loadConfig({ WORKER_NICE: '10' }).WORKER_NICE).toBe(10);
  });

  it('treats an empty variable as unset', () => {
    expect(loadConfig({ PORT: '', POLICY_FILE: '' }).PORT).toBe(3000);
  });

  it.each([
    [{ PORT: 'eighty' }, /PORT: .*\(got "eighty"\)/],
    [{ EVENT_STORE: 'mysql' }, /EVENT_STORE: /],
    [{ EVENT_STORE: 'postgres' }, /POSTGRES_URL: is required when EVENT_STORE=postgres/],
    [
      { EVENT_STORE: 'postgres', POSTGRES_URL: 'db:5432/send' },
      /POSTGRES_URL: must be a postgres:\/\/ connection string \(value not shown\)/,
    ],
    [{ POSTGRES_SCHEMA: 'send-events' }, /POSTGRES_SCHEMA: must be letters, digits and underscores/],
    [{ POSTGRES_POOL_SIZE: '0' }, /POSTGRES_POOL_SIZE: /],
    [{ EVENT_STORE_MAX_APPEND_BYTES: '10' }, /EVENT_STORE_MAX_APPEND_BYTES: /],
    [{ EVENT_STORE: 'kurrentdb' }, /KURRENTDB_URL: is required when EVENT_STORE=kurrentdb/],
    [{ REDIS_URL: 'localhost:6379' }, /REDIS_URL: must start with redis:\/\//],
    [{ DEMO: 'maybe' }, /DEMO: /],
    [{ NODE_ENV: 'production' }, /JWT_SECRET: must be set in production/],
    [{ NODE_ENV: 'production', JWT_SECRET: 'a-real-secret-of-32-characters!!', DEMO: 'true' }, /DEMO: is not allowed in production/],
    [{ METRICS_TOKEN: 'short' }, /METRICS_TOKEN: must be at least 16 characters/],
    [{ METRICS_PORT: 'ninety' }, /METRICS_PORT: /],
    [{ TELEPHONY_SECRET: 'short' }, /TELEPHONY_SECRET: must be at least 16 characters/],
    [{ WORKER_NICE: '20' }, /WORKER_NICE: /],
    [{ WORKER_NICE: '-5' }, /WORKER_NICE: /],
  ])('stops on %j with a message naming the variable', (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });

  it('never echoes the value of a secret or of a URL that may hold a password', () => {
    const message = (env: Record<string, string>) => {
      try {
        loadConfig(env);
      } catch (error) {
        return (error as Error).message;
      }
      return '';
    };
    expect(message({ TELEPHONY_SECRET: 'hunter2-secret' })).toMatch(/TELEPHONY_SECRET: .*\(value not shown\)/);
    expect(message({ TELEPHONY_SECRET: 'hunter2-secret' })).not.toContain('hunter2');
    expect(message({ REDIS_URL: 'localhost:6379/pass-w0rd' })).not.toContain('pass-w0rd');
    expect(message({ METRICS_TOKEN: 'tok-123' })).not.toContain('tok-123');
  });

  it('takes credentials out of a connection URL for log lines', () => {
    expect(withoutCredentials('redis://:s3cret@redis.internal:6379/2')).toBe('redis://***@redis.internal:6379/2');
    expect(withoutCredentials('postgres://app:pw@db:5432/send')).toBe('postgres://***@db:5432/send');
    expect(withoutCredentials('redis://127.0.0.1:6379')).toBe('redis://127.0.0.1:6379');
  });

  it('validates the settings of a library the app passes in (as notificationsEnv), naming them; the platform knows none itself', () => {
    const shape = { WIDGET_URL: z.url({ error: 'must be a URL' }).optional(), WIDGET_KEY: z.string().optional() };
    const widgets: ConfigFragment<typeof shape> = {
      shape,
      refine(env, ctx) {
        if (env.WIDGET_URL && !env.WIDGET_KEY)
          ctx.addIssue({ code: 'custom', path: ['WIDGET_KEY'], message: 'is required with WIDGET_URL' });
      },
    };
    expect(loadConfig({ WIDGET_URL: 'https://widgets.example', WIDGET_KEY: 'k', PORT: '4000' }, widgets)).toMatchObject({
      WIDGET_URL: 'https://widgets.example',
      PORT: 4000,
    });
    expect(() => loadConfig({ WIDGET_URL: 'nope', WIDGET_KEY: 'k' }, widgets)).toThrow(/WIDGET_URL: must be a URL/);
    expect(() => loadConfig({ WIDGET_URL: 'https://widgets.example' }, widgets)).toThrow(/WIDGET_KEY: is required with WIDGET_URL/);
    expect(() => loadConfig({ EVENT_STORE: 'kurrentdb' }, widgets)).toThrow(/KURRENTDB_URL: is required/); // the platform's own rules still run
    expect(loadConfig({ WIDGET_URL: 'nope' })).not.toHaveProperty('WIDGET_URL');
  });

  it('loads POLICY_FILE, and names the file and field when it is wrong', () => {
    const dir = mkdtempSync(join(tmpdir(), 'policy-'));
    const good = join(dir, 'good.yaml');
    writeFileSync(
      good,
      'calendar: { timezone: Europe/London, workingHours: "24/7", bankHolidays: none }\nsla: { default: { firstResponse: PT10S, resolution: PT60S } }\nunanswered: { threshold: 3 }\nescalation: { chain: [ { role: team_manager, ackWithin: PT5S, respondWithin: PT5S } ] }\n',
    );
    expect(loadConfig({ POLICY_FILE: good }).policy.sla.default.firstResponse).toBe('PT10S');

    const bad = join(dir, 'bad.yaml');
    writeFileSync(
      bad,
      'calendar: { timezone: Europe/London, workingHours: "24/7", bankHolidays: none }\nsla: { default: { firstResponse: P1X, resolution: P10D } }\nunanswered: { threshold: 3 }\nescalation: { chain: [ { role: team_manager, ackWithin: P1D, respondWithin: P1D } ] }\n',
    );
    expect(() => loadConfig({ POLICY_FILE: bad })).toThrow(/POLICY_FILE: sla\.default\.firstResponse: "P1X"/);
    expect(() => loadConfig({ POLICY_FILE: join(dir, 'missing.yaml') })).toThrow(/POLICY_FILE: cannot read/);
  });
});

describe('personal data settings (ADR 0016)', () => {
  const secretFile = (text: string) => {
    const file = join(mkdtempSync(join(tmpdir(), 'data-keys-')), 'secret');
    writeFileSync(file, text);
    return file;
  };

  it('encrypts by default, the keys in PostgreSQL schema send_data_keys when not beside SQLite', () => {
    expect(loadConfig({})).toMatchObject({ PERSONAL_DATA_ENCRYPTION: true, DATA_KEYS_POSTGRES_SCHEMA: 'send_data_keys' });
    expect(loadConfig({ PERSONAL_DATA_ENCRYPTION: 'false' }).PERSONAL_DATA_ENCRYPTION).toBe(false);
    const production = { NODE_ENV: 'production', JWT_SECRET: 'a-real-secret-of-32-characters!!' };
    expect(loadConfig({ ...production, DATA_KEYS_SECRET: 'k'.repeat(32) }).DATA_KEYS_SECRET).toBe('k'.repeat(32));
    expect(loadConfig({ ...production, DATA_KEYS_SECRET_FILE: secretFile('k'.repeat(44)) }).NODE_ENV).toBe('production');
  });

  it.each([
    [
      { NODE_ENV: 'production', JWT_SECRET: 'a-real-secret-of-32-characters!!' },
      /DATA_KEYS_SECRET: or DATA_KEYS_SECRET_FILE must be set in production/,
    ],
    [{ DATA_KEYS_SECRET: 'short' }, /DATA_KEYS_SECRET: must be at least 32 characters.*\(value not shown\)/],
    [
      { DATA_KEYS_SECRET: 'k'.repeat(32), DATA_KEYS_SECRET_FILE: '/etc/hostname' },
      /DATA_KEYS_SECRET_FILE: set DATA_KEYS_SECRET or DATA_KEYS_SECRET_FILE, not both/,
    ],
    [{ DATA_KEYS_SECRET_FILE: '/nowhere/secret' }, /DATA_KEYS_SECRET_FILE: cannot read \/nowhere\/secret/],
    [{ EVENT_STORE: 'kurrentdb', KURRENTDB_URL: 'kurrentdb://a:2113' }, /DATA_KEYS_POSTGRES_URL: is required when EVENT_STORE=kurrentdb/],
    [{ DATA_KEYS_POSTGRES_URL: 'db:5432' }, /DATA_KEYS_POSTGRES_URL: must be a postgres:\/\/ connection string/],
  ])('stops on %j with a message naming the variable', (env, message) => {
    expect(() => loadConfig(env)).toThrow(message);
  });

  it('takes KurrentDB without a key store when encryption is off', () => {
    expect(
      loadConfig({ EVENT_STORE: 'kurrentdb', KURRENTDB_URL: 'kurrentdb://a:2113', PERSONAL_DATA_ENCRYPTION: 'false' }).EVENT_STORE,
    ).toBe('kurrentdb');
  });
});

describe('KurrentDB connection settings', () => {
  const url = 'kurrentdb://a:2113,b:2113,c:2113';

  it('passes the settings to the store apart from the URL', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kurrentdb-'));
    const passwordFile = join(dir, 'password');
    writeFileSync(passwordFile, 'pw\n');
    const config = loadConfig({
      EVENT_STORE: 'kurrentdb',
      KURRENTDB_URL: url,
      DATA_KEYS_POSTGRES_URL: 'postgres://keys@db:5432/send',
      KURRENTDB_USERNAME: 'ops',
      KURRENTDB_PASSWORD_FILE: passwordFile,
      KURRENTDB_TLS: 'true',
      KURRENTDB_DEADLINE_MS: '4000',
      KURRENTDB_KEEPALIVE_MS: '20000',
    });
    expect(eventStoreConfig(config)).toEqual({
      kind: 'kurrentdb',
      observer: undefined,
      url,
      username: 'ops',
      password: undefined,
      passwordFile,
      tls: true,
      tlsCaFile: undefined,
      deadlineMs: 4000,
      keepAliveMs: 20000,
      maxAppendBytes: 1_048_576,
    });
  });

  it.each([
    [{ KURRENTDB_USERNAME: 'ops' }, /KURRENTDB_USERNAME: needs KURRENTDB_PASSWORD or KURRENTDB_PASSWORD_FILE/],
    [{ KURRENTDB_PASSWORD: 'pw' }, /KURRENTDB_USERNAME: is required with KURRENTDB_PASSWORD/],
    [{ KURRENTDB_USERNAME: 'ops', KURRENTDB_PASSWORD: 'pw', KURRENTDB_PASSWORD_FILE: '/etc/hostname' }, /not both/],
    [
      { KURRENTDB_URL: 'kurrentdb://admin:changeit@a:2113', KURRENTDB_USERNAME: 'ops', KURRENTDB_PASSWORD: 'pw' },
      /KURRENTDB_URL: carries credentials/,
    ],
    [{ KURRENTDB_TLS_CA_FILE: '/nowhere/ca.pem' }, /KURRENTDB_TLS_CA_FILE: no such file/],
    [{ KURRENTDB_TLS: 'yes' }, /KURRENTDB_TLS: /],
    [{ EVENT_STORE_MAX_APPEND_BYTES: '10' }, /EVENT_STORE_MAX_APPEND_BYTES: /],
  ])('stops on %j with a message naming the variable', (env, message) => {
    expect(() => loadConfig({ EVENT_STORE: 'kurrentdb', KURRENTDB_URL: url, ...env })).toThrow(message);
  });

  it('never shows the password in a config error', () => {
    try {
      loadConfig({
        EVENT_STORE: 'kurrentdb',
        KURRENTDB_URL: url,
        KURRENTDB_PASSWORD: 'hunter2-pw',
        KURRENTDB_PASSWORD_FILE: '/etc/hostname',
        KURRENTDB_USERNAME: 'ops',
      });
      throw new Error('expected a ConfigError');
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as Error).message).toMatch(/KURRENTDB_PASSWORD: .*\(value not shown\)/);
      expect((error as Error).message).not.toContain('hunter2');
    }
  });
});
