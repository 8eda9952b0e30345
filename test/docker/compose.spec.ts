import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

/** Docker cannot run here; these checks keep the compose file and Dockerfile true to the design. */
const dockerDir = join(__dirname, '../../docker');

/** Compose interpolates it from the environment, and refuses to start without it. */
const REDIS_URL_WITH_PASSWORD = expect.stringMatching(/^redis:\/\/:\$\{REDIS_PASSWORD:\?[^}]+\}@redis:6379$/);

/** Every published port of every service, in `host-ip:host-port:container-port` form or not. */
function publishedPorts(compose: { services: Record<string, { ports?: unknown[] }> }) {
  return Object.entries(compose.services).flatMap(([service, s]) =>
    (s.ports ?? []).map((port) => {
      // Long syntax ({ target, published, host_ip }) would need a host_ip too; short syntax a leading 127.0.0.1.
      expect(typeof port).toBe('string');
      expect(port).toMatch(/^127\.0\.0\.1:\d+:\d+$/);
      return { service, port };
    }),
  );
}

function expectRedisWithPassword(compose: { services: Record<string, any> }) {
  const redis = compose.services.redis;
  expect(redis.environment.REDIS_PASSWORD).toMatch(/^\$\{REDIS_PASSWORD:\?.+\}$/);
  const command = redis.command.join(' ');
  // requirepass from the variable ($$ is compose's escape for the container's own $), in a file rather than in ps.
  expect(command).toMatch(/printf 'requirepass %s\\n' "\$\$REDIS_PASSWORD" > \/tmp\/auth\.conf/);
  expect(command).toMatch(/redis-server \/tmp\/auth\.conf /);
  expect(command).not.toMatch(/--requirepass/);
  expect(redis.healthcheck.test.join(' ')).toContain('REDISCLI_AUTH="$$REDIS_PASSWORD" redis-cli ping');
  expect(redis.ports).toBeUndefined();
}

describe('docker/compose.yml', () => {
  const compose = parse(readFileSync(join(dockerDir, 'compose.yml'), 'utf8'), { merge: true });
  const env = (service: string) => compose.services[service].environment as Record<string, string>;

  it('runs kurrentdb, postgres for the personal-data keys, redis with append-only persistence, api and worker', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['api', 'keys', 'kurrentdb', 'redis', 'worker']);
    expect(compose.services.keys.volumes).toEqual(expect.arrayContaining([expect.stringMatching(/:\/var\/lib\/postgresql\/data$/)]));
    expect(compose.services.redis.command.join(' ')).toContain('--appendonly yes');
    expect(compose.services.redis.volumes).toEqual(expect.arrayContaining([expect.stringMatching(/:\/data$/)]));
    expect(compose.services.kurrentdb.volumes).toEqual(expect.arrayContaining([expect.stringMatching(/:\/var\/lib\/kurrentdb$/)]));
  });

  it.each(['api', 'worker'])('gives %s the event store, Redis and secrets it needs', (service) => {
    expect(env(service)).toMatchObject({
      NODE_ENV: 'production',
      EVENT_STORE: 'kurrentdb',
      KURRENTDB_URL: expect.stringMatching(/^kurrentdb:\/\/kurrentdb:2113/),
      REDIS_URL: REDIS_URL_WITH_PASSWORD,
      JWT_SECRET: expect.stringContaining('JWT_SECRET'),
      DATA_KEYS_SECRET: expect.stringContaining('DATA_KEYS_SECRET'),
      DATA_KEYS_POSTGRES_URL: expect.stringMatching(/^postgres:\/\/send:.*@keys:5432\/send$/),
    });
    expect(compose.services[service].depends_on).toMatchObject({
      kurrentdb: { condition: 'service_healthy' },
      keys: { condition: 'service_healthy' },
      redis: { condition: 'service_healthy' },
    });
  });

  it('runs the worker from the same image with its own entry point, and publishes the api port', () => {
    expect(compose.services.worker.image).toBe(compose.services.api.image);
    expect(compose.services.worker.command).toEqual(['node', 'dist/apps/worker/main.js']);
    expect(env('api').PORT).toBe('3000');
    expect(compose.services.api.ports).toEqual(['127.0.0.1:3000:3000']);
  });

  it('publishes nothing on all interfaces: the api on loopback only, the insecure KurrentDB not at all', () => {
    expect(publishedPorts(compose)).toEqual([{ service: 'api', port: '127.0.0.1:3000:3000' }]);
    expect(compose.services.kurrentdb.ports).toBeUndefined();
  });

  it('runs Redis with a password from the environment, which the health check uses too', () => {
    expectRedisWithPassword(compose);
  });
});

describe('docker/compose.postgres.yml', () => {
  const compose = parse(readFileSync(join(dockerDir, 'compose.postgres.yml'), 'utf8'), { merge: true });

  it('runs postgres with a data volume, redis, api and worker', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['api', 'postgres', 'redis', 'worker']);
    expect(compose.services.postgres.volumes).toEqual(expect.arrayContaining([expect.stringMatching(/:\/var\/lib\/postgresql\/data$/)]));
    expect(compose.services.worker.image).toBe(compose.services.api.image);
  });

  it.each(['api', 'worker'])('gives %s EVENT_STORE=postgres and a server it waits for', (service) => {
    expect(compose.services[service].environment).toMatchObject({
      EVENT_STORE: 'postgres',
      POSTGRES_URL: expect.stringMatching(/^postgres:\/\/send:.*@postgres:5432\/send$/),
      REDIS_URL: REDIS_URL_WITH_PASSWORD,
      DATA_KEYS_SECRET: expect.stringContaining('DATA_KEYS_SECRET'),
    });
    expect(compose.services[service].depends_on).toMatchObject({ postgres: { condition: 'service_healthy' } });
  });

  it('publishes only the api, on loopback; PostgreSQL takes its password from the environment', () => {
    expect(publishedPorts(compose)).toEqual([{ service: 'api', port: '127.0.0.1:3000:3000' }]);
    expect(compose.services.postgres.environment.POSTGRES_PASSWORD).toMatch(/^\$\{POSTGRES_PASSWORD:\?.+\}$/);
    expect(compose.services.api.environment.POSTGRES_URL).toContain('${POSTGRES_PASSWORD:?');
  });

  it('runs Redis with a password from the environment, which the health check uses too', () => {
    expectRedisWithPassword(compose);
  });
});

describe('docker/Dockerfile', () => {
  const dockerfile = readFileSync(join(dockerDir, 'Dockerfile'), 'utf8');

  it('is multi-stage and runs as a non-root user', () => {
    expect(dockerfile.match(/^FROM /gm)?.length).toBeGreaterThanOrEqual(2);
    const users = [...dockerfile.matchAll(/^USER (\S+)/gm)].map((m) => m[1]);
    expect(users.at(-1)).toBeDefined();
    expect(users.at(-1)).not.toMatch(/^(root|0)$/);
  });

  it('starts the built api by default and keeps Node 20', () => {
    expect(dockerfile).toContain('CMD ["node", "dist/apps/api/main.js"]');
    expect(dockerfile).toMatch(/^FROM node:20/m);
  });
});
