// Installing the dependencies when node_modules does not match package-lock.json: the first thing
// `npm start` and `npm test` do, on a fresh clone too, so this file uses Node's built-ins only.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

/**
 * Why `npm ci` must run, or null when node_modules is up to date. npm writes
 * node_modules/.package-lock.json at the end of every install, so an install without it (never
 * made by npm, or stopped part-way) or older than package-lock.json (a pull or a branch switch
 * changed the lock) is out of date. Pure: takes modification times in ms, null for a missing file.
 */
function installNeed({ nodeModulesExists, installedLockMtime, lockMtime }) {
  if (!nodeModulesExists) return 'node_modules is missing';
  if (installedLockMtime === null) return 'node_modules/.package-lock.json is missing (no complete npm install)';
  if (lockMtime !== null && installedLockMtime < lockMtime) return 'package-lock.json changed after the last install';
  return null;
}

function mtimeOrNull(file) {
  try {
    return fs.statSync(file).mtimeMs;
  } catch {
    return null;
  }
}

/** Extra flags for `npm ci` from NPM_CI_FLAGS (e.g. `--offline`), split on spaces. */
function extraNpmCiFlags(env) {
  return (env.NPM_CI_FLAGS ?? '').split(/\s+/).filter(Boolean);
}

/**
 * Runs `npm ci` in `root` when installNeed says so, streaming npm's output, and returns whether it
 * did. A node_modules that is a link (a worktree sharing another checkout's install) is never
 * reinstalled from here: npm ci would delete what the link points at. Throws with what failed when
 * the install fails, or when it is needed and cannot be done under CI.
 */
function ensureInstalled({ root, log, env = process.env }) {
  const nodeModules = path.join(root, 'node_modules');
  const need = installNeed({
    nodeModulesExists: fs.existsSync(nodeModules),
    installedLockMtime: mtimeOrNull(path.join(nodeModules, '.package-lock.json')),
    lockMtime: mtimeOrNull(path.join(root, 'package-lock.json')),
  });
  if (!need) return false;

  if (fs.lstatSync(nodeModules, { throwIfNoEntry: false })?.isSymbolicLink()) {
    const shared = `${need}, but node_modules is a link to ${fs.readlinkSync(nodeModules)}: not reinstalling a shared install from here (run npm ci where it lives)`;
    if (env.CI) throw new Error(shared);
    log(`warning: ${shared}`);
    return false;
  }

  // --prefer-offline: packages already in npm's cache are not downloaded again.
  const args = ['ci', '--prefer-offline', '--no-audit', '--no-fund', ...extraNpmCiFlags(env)];
  const command = `npm ${args.join(' ')}`;
  log(`${need}: running \`${command}\` to install exactly what package-lock.json lists...`);
  const started = Date.now();
  const result = spawnSync('npm', args, { cwd: root, stdio: 'inherit', env });
  if (result.error) throw new Error(`\`${command}\` could not run: ${result.error.message}`);
  if (result.status !== 0) {
    throw new Error(
      `\`${command}\` failed (${result.signal ?? `exit ${result.status}`}) in ${root}: npm says why above. ` +
        'Nothing was started. Fix that and run the same command again (NPM_CI_FLAGS adds flags to npm ci).',
    );
  }
  log(`installed the dependencies in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return true;
}

module.exports = { installNeed, ensureInstalled };
