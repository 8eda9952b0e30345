// Building the api and the worker only when dist/ is older than what they are built from, so a
// second `npm start` starts at once. Node's built-ins only, like the rest of scripts/lib.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

/** What `npm run build` reads: the code (views included) and the compiler's settings. */
const BUILD_INPUTS = ['apps', 'libs', 'nest-cli.json', 'webpack.config.js', 'tsconfig.base.json', 'tsconfig.json', 'package-lock.json'];
/** Each app's bundle, and beside it its worker threads' scripts (webpack.config.js; ADR 0018, ADR 0014). */
const BUILD_OUTPUTS = [
  'dist/apps/api/main.js',
  'dist/apps/api/sqlite-writer.thread.js',
  'dist/apps/api/access-log-writer.thread.js',
  'dist/apps/worker/main.js',
  'dist/apps/worker/sqlite-writer.thread.js',
];

/**
 * Why a build is needed, or null when dist/ is up to date. Pure: `outputs` are
 * `{ path, mtime }` with mtime null when missing; `newestInput` the most recently changed input.
 */
function buildNeed({ outputs, newestInput }) {
  const missing = outputs.find((o) => o.mtime === null);
  if (missing) return `${missing.path} is missing`;
  const builtAt = Math.min(...outputs.map((o) => o.mtime));
  if (newestInput && newestInput.mtime > builtAt) return `${newestInput.path} changed after the last build`;
  return null;
}

/**
 * The most recently modified file or folder under `root`'s build inputs. Folders count because
 * deleting or renaming a file changes only its folder's time.
 */
function newestBuildInput(root) {
  let newest = null;
  const visit = (relative) => {
    const stat = fs.statSync(path.join(root, relative), { throwIfNoEntry: false });
    if (!stat) return;
    if (!newest || stat.mtimeMs > newest.mtime) newest = { path: relative, mtime: stat.mtimeMs };
    if (stat.isDirectory()) for (const name of fs.readdirSync(path.join(root, relative))) visit(path.join(relative, name));
  };
  BUILD_INPUTS.forEach(visit);
  return newest;
}

/** Runs `npm run build` when buildNeed says so; returns whether it did. Throws when the build fails. */
function ensureBuilt({ root, log }) {
  const outputs = BUILD_OUTPUTS.map((p) => ({
    path: p,
    mtime: fs.statSync(path.join(root, p), { throwIfNoEntry: false })?.mtimeMs ?? null,
  }));
  const need = buildNeed({ outputs, newestInput: newestBuildInput(root) });
  if (!need) {
    log('dist/ is newer than apps/ and libs/: using it as built (`npm run build` rebuilds)');
    return false;
  }
  log(`building the api and the worker (${need})...`);
  const started = new Date();
  const result = spawnSync('npm', ['run', 'build', '--silent'], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) {
    throw new Error(`\`npm run build\` failed (${result.signal ?? `exit ${result.status}`}): the compiler says why above.`);
  }
  // Dated to when the build began, so a file saved while it ran counts as newer next time.
  for (const output of BUILD_OUTPUTS) fs.utimesSync(path.join(root, output), started, started);
  log(`built in ${((Date.now() - started.getTime()) / 1000).toFixed(1)} s`);
  return true;
}

module.exports = { buildNeed, newestBuildInput, ensureBuilt };
