import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
// The same plain-JS helpers `npm start` and `npm test` use.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const redisTools = require('../../scripts/lib/redis') as {
  freePort(): Promise<number>;
  ping(host: string, port: number, timeoutMs?: number): Promise<boolean>;
  ensureRedisServer(log: (m: string) => void): string;
  startRedis(o: {
    binary: string;
    port: number;
    dir: string;
    persistent: boolean;
  }): Promise<{ url: string; port: number; stop(): Promise<void> }>;
};
export const { freePort, ping } = redisTools;

const root = resolve(__dirname, '../..');

/** A throwaway redis-server of this test file's own, so parallel test files never share read models. */
export async function startThrowawayRedis() {
  const dir = mkdtempSync(join(tmpdir(), 'send-redis-'));
  const redis = await redisTools.startRedis({
    binary: redisTools.ensureRedisServer(() => {}),
    port: await freePort(),
    dir,
    persistent: false,
  });
  return {
    ...redis,
    async stop() {
      await redis.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface RunningSystem {
  baseUrl: string;
  dataDir: string;
  sqlitePath: string;
  output(): string;
  /** Ctrl-C, as a person would press it; resolves with the launcher's exit code. */
  interrupt(): Promise<number | null>;
}

/**
 * Runs the system exactly as `npm start` does after its build step: `node scripts/start.js` with
 * the built api and worker (npm test builds them first), on a free port and a fresh data folder,
 * and a throwaway Redis of its own unless `env.REDIS_URL` names one: systems started by test files
 * running side by side must never share read models, checkpoints or job queues.
 */
export async function startSystem(env: Record<string, string>): Promise<RunningSystem> {
  const ownRedis = env.REDIS_URL ? null : await startThrowawayRedis();
  if (ownRedis) env = { ...env, REDIS_URL: ownRedis.url };
  const dataDir = mkdtempSync(join(tmpdir(), 'send-e2e-'));
  const port = await freePort();
  const sqlitePath = join(dataDir, 'events.db');
  const child: ChildProcess = spawn(process.execPath, [join(root, 'scripts/start.js')], {
    cwd: root,
    env: { ...process.env, NODE_ENV: 'test', LOG_LEVEL: 'warn', PORT: String(port), DATA_DIR: dataDir, SQLITE_PATH: sqlitePath, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));

  const deadline = Date.now() + 60_000;
  while (!output.includes('is running at')) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      await ownRedis?.stop();
      throw new Error(`the system did not start:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    dataDir,
    sqlitePath,
    output: () => output,
    async interrupt() {
      child.kill('SIGINT');
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      const code = await exited;
      clearTimeout(timer);
      rmSync(dataDir, { recursive: true, force: true });
      await ownRedis?.stop();
      return code;
    },
  };
}

/** A small JSON client for the API. */
export function apiClient(baseUrl: string) {
  const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(baseUrl + path, {
      method,
      headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    return {
      status: res.status,
      contentType: res.headers.get('content-type') ?? '',
      link: res.headers.get('link'),
      body: text ? JSON.parse(text) : null,
    };
  };
  const asUser = (token: string) => ({
    get: (path: string) => call('GET', path, undefined, { authorization: `Bearer ${token}` }),
    post: (path: string, body: unknown, headers: Record<string, string> = {}) =>
      call('POST', path, body, { authorization: `Bearer ${token}`, ...headers }),
    put: (path: string, body: unknown) => call('PUT', path, body, { authorization: `Bearer ${token}` }),
  });
  return {
    call,
    async login(email: string, password = 'demo'): Promise<string> {
      const res = await call('POST', '/api/auth/login', { email, password });
      if (res.status !== 200) throw new Error(`login ${email}: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body.token;
    },
    /** Signs in each demo user (password `demo`): a client per name and their user ids. */
    async signIn<K extends string>(people: Record<K, string>) {
      const as = {} as Record<K, ReturnType<typeof asUser>>;
      const ids = {} as Record<K, string>;
      for (const [who, email] of Object.entries(people) as [K, string][]) {
        const res = await call('POST', '/api/auth/login', { email, password: 'demo' });
        if (res.status !== 200) throw new Error(`login ${email}: ${res.status} ${JSON.stringify(res.body)}`);
        as[who] = asUser(res.body.token);
        ids[who] = res.body.user.id;
      }
      return { as, ids };
    },
    as: asUser,
  };
}

/** Polls until `check` returns a value that is not undefined/null/false, or fails after `ms`. */
export async function eventually<T>(
  check: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  ms = 10_000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== null && value !== false) return value as T;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
