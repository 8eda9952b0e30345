// Finding, installing and starting a local redis-server for `npm start` and `npm test`.
// Plain Node (no build step), so it works before anything is compiled.
'use strict';
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');

/** True when something at host:port answers a Redis PING (any reply, even an auth error). */
function ping(host, port, timeoutMs = 1000) {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (ok) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => done(/^[+-]/.test(data.toString())));
  });
}

function which(binary) {
  const found = spawnSync('sh', ['-c', `command -v ${binary}`], { encoding: 'utf8' });
  return found.status === 0 ? found.stdout.trim() : null;
}

/**
 * The path of redis-server, installing Debian's package first when it is missing and we can
 * (root with apt-get). Otherwise throws with the exact command a person should run.
 */
function ensureRedisServer(log) {
  const existing = which('redis-server');
  if (existing) return existing;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot || !which('apt-get')) {
    throw new Error(
      'redis-server is not installed and this user cannot install it.\n' +
        '  Run: sudo apt-get install -y redis-server\n' +
        '  or point REDIS_URL at a Redis you already run.',
    );
  }
  log("redis-server is missing: installing Debian's redis-server package (apt-get install -y redis-server)...");
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [['update'], ['install', '-y', '--no-install-recommends', 'redis-server']]) {
    const run = spawnSync('apt-get', args, { stdio: ['ignore', 'ignore', 'inherit'], env });
    if (run.status !== 0)
      throw new Error(`apt-get ${args.join(' ')} failed (exit ${run.status}). Install redis-server yourself and retry.`);
  }
  const installed = which('redis-server');
  if (!installed) throw new Error('apt-get installed redis-server but it is not on PATH.');
  log(`installed ${installed}`);
  return installed;
}

/**
 * Starts redis-server in the foreground as our child (so stopping us stops it) and waits until it
 * answers. `persistent` turns on append-only persistence in `dir`; otherwise nothing touches disk.
 */
async function startRedis({ binary, port, dir, persistent, log = () => {} }) {
  fs.mkdirSync(dir, { recursive: true });
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', ''];
  args.push('--appendonly', persistent ? 'yes' : 'no');
  const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));

  const deadline = Date.now() + 10_000;
  while (!(await ping('127.0.0.1', port, 300))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`redis-server did not start on port ${port}:\n${output.slice(-2000)}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  log(`started redis-server on 127.0.0.1:${port} (${persistent ? `append-only data in ${dir}` : 'in memory only'})`);
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    child,
    /** SIGTERM lets Redis flush its append-only file and exit cleanly. */
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** A TCP port nobody listens on right now. */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

module.exports = { ping, ensureRedisServer, startRedis, freePort, which };
