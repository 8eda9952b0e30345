#!/usr/bin/env node
// `npm start`: the whole system on one machine, from a fresh clone too. Installs the dependencies
// when node_modules is missing or older than package-lock.json, builds when dist/ is older than the
// code (SKIP_BUILD=1 uses dist/ as it is), makes sure Redis answers at REDIS_URL (starting a local
// redis-server with its data under ./data/redis when nothing does), then runs the api and the
// worker, prints the URL once /health is ok, and on Ctrl-C stops all of them cleanly.
// It runs before anything is installed: Node's built-ins and scripts/lib only.
'use strict';
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { ensureInstalled } = require('./lib/ensure-installed');
const { ensureBuilt } = require('./lib/ensure-built');
const { ping, ensureRedisServer, startRedis } = require('./lib/redis');
const { installationSecret } = require('./lib/installation-secret');

const root = path.resolve(__dirname, '..');
const log = (msg) => console.log(`[start] ${msg}`);

async function main() {
  ensureInstalled({ root, log });
  if (process.env.SKIP_BUILD) log('SKIP_BUILD is set: using dist/ as it is');
  else ensureBuilt({ root, log });

  const env = { ...process.env };
  // With REDIS_URL_FILE the URL is a secret the apps read themselves: that Redis is the operator's, not one to start here.
  if (!env.REDIS_URL_FILE) env.REDIS_URL ||= 'redis://127.0.0.1:6379';
  env.PORT ||= '3000';
  const dataDir = path.resolve(env.DATA_DIR || path.join(root, 'data'));
  env.SQLITE_PATH ||= path.join(dataDir, 'events.db');
  fs.mkdirSync(dataDir, { recursive: true });
  if (!env.JWT_SECRET && !env.JWT_SECRET_FILE) env.JWT_SECRET = installationSecret(path.join(dataDir, 'jwt-secret'), { log, describe: 'a token signing secret', setting: 'JWT_SECRET' });
  // The key that wraps the personal-data keys (ADR 0016): made here, before api and worker start, so both read one file.
  if (!env.DATA_KEYS_SECRET && !env.DATA_KEYS_SECRET_FILE) {
    env.DATA_KEYS_SECRET_FILE = path.join(dataDir, 'data-keys-secret');
    installationSecret(env.DATA_KEYS_SECRET_FILE, { log, describe: 'a key-encryption key for personal data', setting: 'DATA_KEYS_SECRET or DATA_KEYS_SECRET_FILE' });
  }

  for (const app of ['api', 'worker']) {
    if (!fs.existsSync(path.join(root, 'dist/apps', app, 'main.js'))) {
      throw new Error(`dist/apps/${app}/main.js is missing: run \`npm run build\`, or \`npm start\` without SKIP_BUILD.`);
    }
  }

  let redis = null;
  const redisUrl = new URL(env.REDIS_URL || 'redis://127.0.0.1:6379');
  const redisHost = redisUrl.hostname || '127.0.0.1';
  const redisPort = Number(redisUrl.port || 6379);
  if (env.REDIS_URL_FILE) {
    log('REDIS_URL_FILE is set: the apps connect to the Redis it names');
  } else if (await ping(redisHost, redisPort)) {
    log(`using the Redis that answers at ${withoutCredentials(env.REDIS_URL)}`);
  } else if (['127.0.0.1', 'localhost', '::1', '[::1]'].includes(redisHost)) {
    log(`nothing answers at ${withoutCredentials(env.REDIS_URL)}: starting a local redis-server for this run`);
    const binary = ensureRedisServer(log);
    redis = await startRedis({ binary, port: redisPort, dir: path.join(dataDir, 'redis'), persistent: true, log });
    log('it stops when you press Ctrl-C');
  } else {
    throw new Error(`Redis at ${env.REDIS_URL} does not answer. Start it, or unset REDIS_URL to use a local one.`);
  }

  const children = new Map();
  let stopping = false;
  const stopAll = async (code) => {
    if (stopping) return;
    stopping = true;
    log('stopping api and worker...');
    await Promise.all(
      [...children.values()].map(
        (child) =>
          new Promise((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
            child.once('exit', () => {
              clearTimeout(timer);
              resolve();
            });
            child.kill('SIGTERM');
          }),
      ),
    );
    if (redis) {
      log('stopping the local redis-server...');
      await redis.stop();
    }
    log('stopped');
    process.exit(code);
  };

  for (const app of ['api', 'worker']) {
    const child = spawn(process.execPath, [path.join(root, 'dist/apps', app, 'main.js')], { env, stdio: 'inherit' });
    children.set(app, child);
    child.once('exit', (code, signal) => {
      if (stopping) return;
      log(`${app} stopped unexpectedly (${signal ?? `exit ${code}`}); stopping everything`);
      void stopAll(1);
    });
  }
  process.on('SIGINT', () => void stopAll(0));
  process.on('SIGTERM', () => void stopAll(0));

  const url = `http://localhost:${env.PORT}`;
  const deadline = Date.now() + 60_000;
  while (!stopping) {
    try {
      const res = await fetch(`${url}/health`);
      if (res.ok) break;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) {
      log('the api did not become healthy within 60 s; stopping');
      return stopAll(1);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  if (stopping) return;
  log(`SEND case communication is running at ${url}  (API docs ${url}/api/docs, health ${url}/health)`);
  if (['true', '1', 'yes'].includes(env.DEMO)) {
    const password = env.DEMO_PASSWORD ? 'the DEMO_PASSWORD you set' : 'demo';
    log(`demo sign-ins (password ${password}): ${DEMO_SIGN_INS.join(', ')}; the rest are in API.md`);
  }
  log(`event store: ${describeStore(env)}; press Ctrl-C to stop`);
}

/** One demo account of each role (shared API.md's demo users; the fresh-clone e2e test signs in as each). */
const DEMO_SIGN_INS = [
  'parent@example.org',
  'senco@example.org',
  'officer@example.org',
  'manager@example.org',
  'service.manager@example.org',
  'head@example.org',
  'admin@example.org',
  'dpo@example.org',
];

main().catch((err) => {
  console.error(`[start] ${err.message}`);
  process.exit(1);
});

/** A connection URL fit for the console: any user and password replaced by `***`. */
function withoutCredentials(url) {
  return String(url).replace(/\/\/[^@/]*@/, '//***@');
}

/** Where the events are, for the closing line: never a password (the URLs may carry one). */
function describeStore(env) {
  const hostOf = (url) => {
    try {
      const u = new URL(url);
      return `${u.protocol}//${u.host}${u.pathname === '/' ? '' : u.pathname}`;
    } catch {
      return 'its URL';
    }
  };
  if (env.EVENT_STORE === 'kurrentdb') return `KurrentDB at ${hostOf(env.KURRENTDB_URL)}`;
  if (env.EVENT_STORE === 'postgres') return `PostgreSQL at ${hostOf(env.POSTGRES_URL)} (schema ${env.POSTGRES_SCHEMA || 'send_events'})`;
  return env.SQLITE_PATH;
}
