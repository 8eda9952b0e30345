// A throwaway PostgreSQL cluster for `npm test` (and the PostgreSQL contract tests run on their
// own): initdb and postgres in a temp dir, on a free port, trust auth on 127.0.0.1 only, no fsync.
// Plain Node (no build step), like ./redis.js.
'use strict';
const { spawn, spawnSync } = require('node:child_process');
const net = require('node:net');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { freePort, which } = require('./redis');

const INSTALL_HINT = 'apt-get install -y postgresql';
/** initdb refuses to run as root: as root, the cluster runs as this user (created when missing). */
const TEST_USER = 'send-test';

/** The folder of initdb and postgres (POSTGRES_BIN, Debian's /usr/lib/postgresql/<newest>/bin, or PATH), else null. */
function findPostgresBin() {
  const candidates = [];
  if (process.env.POSTGRES_BIN) candidates.push(process.env.POSTGRES_BIN);
  const debian = '/usr/lib/postgresql';
  if (fs.existsSync(debian)) {
    const versions = fs
      .readdirSync(debian)
      .filter((v) => /^\d+$/.test(v))
      .sort((a, b) => Number(b) - Number(a));
    for (const v of versions) candidates.push(path.join(debian, v, 'bin'));
  }
  const onPath = which('initdb');
  if (onPath) candidates.push(path.dirname(onPath));
  return candidates.find((dir) => fs.existsSync(path.join(dir, 'initdb')) && fs.existsSync(path.join(dir, 'postgres'))) ?? null;
}

/** Runs a PostgreSQL binary, as TEST_USER when we are root. Throws with its output when it fails. */
function runAs(asUser, binary, args) {
  const [command, fullArgs] = asUser ? ['runuser', ['-u', asUser, '--', binary, ...args]] : [binary, args];
  const result = spawnSync(command, fullArgs, { encoding: 'utf8' });
  if (result.status !== 0) {
    throw new Error(
      `${path.basename(binary)} ${args.join(' ')} failed (exit ${result.status}):\n${(result.stdout + result.stderr).slice(-2000)}`,
    );
  }
  return result.stdout;
}

function ensureTestUser() {
  if (spawnSync('id', ['-u', TEST_USER]).status === 0) return;
  const add = spawnSync('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', TEST_USER], { encoding: 'utf8' });
  if (add.status !== 0) throw new Error(`could not create the user ${TEST_USER} to run PostgreSQL as (initdb refuses root): ${add.stderr}`);
}

/**
 * Starts a private cluster and resolves once it accepts connections (without fsync unless `durable`). Resolves { url, stop() };
 * stop() shuts it down and removes its folder. Throws, naming the install command,
 * when PostgreSQL's binaries are missing.
 */
async function startPostgres({ log = () => {}, durable = false } = {}) {
  const bin = findPostgresBin();
  if (!bin) throw new Error(`PostgreSQL's binaries (initdb, postgres) are not installed. Run: ${INSTALL_HINT}`);
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const asUser = isRoot ? TEST_USER : null;
  if (asUser) ensureTestUser();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'send-test-postgres-'));
  const data = path.join(dir, 'data');
  if (asUser) spawnSync('chown', [asUser, dir]);
  const port = await freePort();
  try {
    runAs(asUser, path.join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '--encoding=UTF8', '--no-sync']);
  } catch (error) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  // In the foreground as our child (not pg_ctl's daemon): Ctrl-C on the test run stops it too.
  const args = ['-D', data, '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=200'];
  // Tests need no durability; a benchmark (durable: true) keeps PostgreSQL's defaults.
  if (!durable) args.push('-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off');
  const postgres = path.join(bin, 'postgres');
  const child = asUser
    ? spawn('runuser', ['-u', asUser, '--', postgres, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
    : spawn(postgres, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const deadline = Date.now() + 30_000;
  while (!/ready to accept connections/.test(output) || !(await accepts(port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      fs.rmSync(dir, { recursive: true, force: true });
      throw new Error(`PostgreSQL did not start on port ${port}:\n${output.slice(-2000)}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  log(`started PostgreSQL (${bin}) on 127.0.0.1:${port}, data in ${data}`);
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    /** SIGINT is PostgreSQL's fast shutdown: sessions end, nothing is waited for. */
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        // The postmaster itself (runuser does not pass SIGINT on): its pid is postmaster.pid's first line.
        try {
          process.kill(Number(fs.readFileSync(path.join(data, 'postmaster.pid'), 'utf8').split('\n')[0]), 'SIGINT');
        } catch {
          child.kill('SIGINT');
        }
      }
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** True when something accepts TCP connections on 127.0.0.1:port. */
function accepts(port) {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

module.exports = { findPostgresBin, startPostgres, INSTALL_HINT };
