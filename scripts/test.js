#!/usr/bin/env node
// `npm test`: every test (unit, contract, e2e) against a throwaway Redis on a free port, so a Redis
// the user runs is never touched. Installs the dependencies when node_modules is missing or older
// than package-lock.json, type-checks, builds when dist/ is older than the code (the e2e tests run
// the built apps), then ends with the plain line `N passed, N failed` from Jest's own counts.
// `npm test -- <jest args>` passes arguments to Jest; SKIP_BUILD=1 skips type-check and build.
// It runs before anything is installed: Node's built-ins and scripts/lib only.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { ensureRedisServer, startRedis, freePort } = require('./lib/redis');
const { ensureChromium } = require('./lib/chromium');
const { findPostgresBin, startPostgres, INSTALL_HINT } = require('./lib/postgres');
const { ensureInstalled } = require('./lib/ensure-installed');
const { ensureBuilt } = require('./lib/ensure-built');

const root = path.resolve(__dirname, '..');
const log = (msg) => console.log(`[test] ${msg}`);
const bin = (name) => path.join(root, 'node_modules', '.bin', name);

function run(label, command, args, env = process.env) {
  log(label);
  const started = Date.now();
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', env });
  log(`${label}: ${result.status === 0 ? 'done' : `FAILED (exit ${result.status})`} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return result.status ?? 1;
}

async function main() {
  const jestArgs = process.argv.slice(2);
  ensureInstalled({ root, log });
  if (!process.env.SKIP_BUILD) {
    if (run('type-check (tsc --noEmit)', bin('tsc'), ['-p', 'tsconfig.json', '--noEmit']) !== 0) return 1;
    ensureBuilt({ root, log });
  }

  // The browser tests drive Debian's chromium: installed here when missing. When it cannot be, they
  // fail with this message (CHROMIUM_MISSING), never skip.
  const browser = {};
  try {
    browser.CHROMIUM_PATH = ensureChromium(log);
  } catch (err) {
    log(`browser tests will fail: ${err.message}`);
    browser.CHROMIUM_MISSING = err.message;
  }

  // The PostgreSQL event store's tests: POSTGRES_URL when set, else one throwaway cluster for the
  // run (each test file makes its own schemas in it), else they are skipped by name.
  let postgres = null;
  if (!process.env.POSTGRES_URL) {
    if (findPostgresBin()) postgres = await startPostgres({ log });
    else log(`PostgreSQL tests will be skipped: ${INSTALL_HINT} to run them`);
  }
  // Test files run WORKERS at a time (Jest's default, one less than the cores, ran them one by one
  // on two cores: 15 minutes instead of 8). Each Jest worker gets a Redis of its own
  // (REDIS_URL_<JEST_WORKER_ID>, made REDIS_URL by test/support/jest-worker-redis.js), since specs
  // pick fixed database numbers and some empty theirs between tests.
  const workers = testWorkers(jestArgs);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'send-test-redis-'));
  const binary = ensureRedisServer(log);
  const redises = [];
  try {
    for (let i = 1; i <= workers; i++)
      redises.push(await startRedis({ binary, port: await freePort(), dir: path.join(tmp, `redis-${i}`), persistent: false, log }));
  } catch (err) {
    await Promise.all(redises.map((r) => r.stop()));
    await postgres?.stop();
    throw err;
  }
  const results = path.join(tmp, 'jest-results.json');
  let status = 1;
  try {
    status = run(
      `jest (${workers} at a time)`,
      bin('jest'),
      ['--json', `--outputFile=${results}`, `--maxWorkers=${workers}`, ...jestArgs],
      {
        ...process.env,
        ...browser,
        // @fastify/cookie (the web pages' session and CSRF cookies) loads the ESM-only `cookie` with
        // import(), which Jest's sandbox allows only with VM modules on.
        NODE_OPTIONS: [process.env.NODE_OPTIONS, '--experimental-vm-modules'].filter(Boolean).join(' '),
        REDIS_URL: redises[0].url,
        ...Object.fromEntries(redises.map((r, i) => [`REDIS_URL_${i + 1}`, r.url])),
        ...(postgres ? { POSTGRES_URL: postgres.url } : {}),
        NODE_ENV: 'test',
        // dist/ is ready (or SKIP_BUILD said to use it as it is): the e2e tests' `scripts/start.js`
        // runs must not rebuild it under each other.
        SKIP_BUILD: '1',
      },
    );
  } finally {
    await Promise.all(redises.map((r) => r.stop()));
    await postgres?.stop();
  }
  if (fs.existsSync(results)) {
    const r = JSON.parse(fs.readFileSync(results, 'utf8'));
    const skipped = r.numPendingTests + r.numTodoTests;
    // A spec file can fail with none of its tests failing (it did not load, or a hook such as
    // afterAll threw): Jest counts that against the file, not a test. Count each such file as one
    // failure, so the line never says 0 failed when Jest failed.
    const failedOutsideTests = r.testResults.filter(
      (file) => file.status === 'failed' && !file.assertionResults.some((t) => t.status === 'failed'),
    );
    for (const file of failedOutsideTests)
      console.log(`[test] ${path.relative(root, file.name)} failed outside its tests: ${firstLine(file.message)}`);
    // Where the run's time went, so a slow suite is seen before CI's limit is.
    const slowest = r.testResults
      .map((file) => ({ file: path.relative(root, file.name), seconds: (file.endTime - file.startTime) / 1000 }))
      .sort((a, b) => b.seconds - a.seconds)
      .slice(0, 10);
    if (r.testResults.length > 10)
      console.log(`[test] slowest files: ${slowest.map((f) => `${f.file} ${f.seconds.toFixed(0)} s`).join(', ')}`);
    const failed = r.numFailedTests + failedOutsideTests.length;
    console.log(`${r.numPassedTests} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
  }
  fs.rmSync(tmp, { recursive: true, force: true });
  return status;
}

/**
 * How many test files run at once: TEST_WORKERS, else every core up to four and at least two (the
 * e2e files spend most of their time waiting on the processes they start); `--maxWorkers`, `-w` or
 * `--runInBand`/`-i` passed to npm test win, as Jest's last flag does.
 */
function testWorkers(jestArgs) {
  if (jestArgs.some((a) => a === '-i' || a === '--runInBand')) return 1;
  const flag = jestArgs
    .map((a, i) => /^--maxWorkers=(\d+)$/.exec(a)?.[1] ?? ((a === '-w' || a === '--maxWorkers') && jestArgs[i + 1]))
    .find(Boolean);
  const n = Number(flag || process.env.TEST_WORKERS || Math.min(4, Math.max(2, os.availableParallelism())));
  return Number.isInteger(n) && n >= 1 ? n : 2;
}

function firstLine(message) {
  // Jest's message is ANSI-coloured and long: the first line that says something is enough here.
  const plain = String(message ?? '').replace(/\u001b\[[0-9;]*m/g, '');
  return (
    plain
      .split('\n')
      .map((l) => l.trim())
      .find((l) => l && !l.startsWith('●')) ?? 'see the output above'
  );
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(`[test] ${err.message}`);
    process.exit(1);
  },
);
