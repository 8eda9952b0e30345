// Finding and installing Debian's chromium for the browser tests (test/browser/). Plain Node, as
// redis.js: the same rule, the distribution's package through apt-get, never a downloaded browser.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser'];

function which(binary) {
  const found = spawnSync('sh', ['-c', `command -v ${binary}`], { encoding: 'utf8' });
  return found.status === 0 ? found.stdout.trim() : null;
}

const existing = () => CANDIDATES.find((p) => fs.existsSync(p)) ?? which('chromium');

/**
 * The path of Debian's chromium, installing the `chromium` package first when it is missing and we
 * can (root with apt-get). Otherwise throws with the exact command a person should run.
 */
function ensureChromium(log) {
  const found = existing();
  if (found) return found;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot || !which('apt-get')) {
    throw new Error(
      'chromium is not installed and this user cannot install it (the browser tests need it).\n' +
        '  Run: sudo apt-get install -y chromium',
    );
  }
  log("chromium is missing: installing Debian's chromium package for the browser tests (apt-get install -y chromium)...");
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [['update'], ['install', '-y', '--no-install-recommends', 'chromium']]) {
    const run = spawnSync('apt-get', args, { stdio: ['ignore', 'ignore', 'inherit'], env });
    if (run.status !== 0) throw new Error(`apt-get ${args.join(' ')} failed (exit ${run.status}). Install chromium yourself and retry.`);
  }
  const installed = existing();
  if (!installed) throw new Error('apt-get installed chromium but it is not at /usr/bin/chromium.');
  log(`installed ${installed}`);
  return installed;
}

module.exports = { ensureChromium };
