/*
 * A require hook for the benchmark's child processes that runs TypeScript the parent already
 * transpiled (BENCH_PRECOMPILED names a JSON file {filename: javascript}), so the child never
 * loads the TypeScript compiler: its RSS is the worker's, as a built worker's would be.
 * Resolves the @send/* aliases like libs/event-store/src/testing/register-ts.js.
 */
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '../../..');
const compiled = JSON.parse(fs.readFileSync(process.env.BENCH_PRECOMPILED, 'utf8'));
require.extensions['.ts'] = function precompiled(module, filename) {
  const js = compiled[filename];
  if (js === undefined) throw new Error(`bench precompiled hook: ${filename} was not transpiled by the parent`);
  module._compile(js, filename);
};
const { compilerOptions } = JSON.parse(fs.readFileSync(path.join(root, 'tsconfig.base.json'), 'utf8'));
require('tsconfig-paths').register({ baseUrl: path.join(root, compilerOptions.baseUrl || '.'), paths: compilerOptions.paths });
