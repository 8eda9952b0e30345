/*
 * Run TypeScript with plain Node, no ts-node: `node -r ./libs/event-store/src/testing/register-ts.js file.ts`.
 * Transpiles each .ts file on require with typescript.transpileModule (no type-check; run tsc for
 * that) and resolves the @send/* aliases of tsconfig.base.json with tsconfig-paths.
 * Used by the event-store benchmark and by the multi-process SQLite test.
 */
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const crypto = require('node:crypto');

/** Bump when the compiler options below change, so no cached output of the old ones is used. */
const CACHE_FORMAT = 1;

const root = path.resolve(__dirname, '../../../..');
const { compilerOptions } = JSON.parse(fs.readFileSync(path.join(root, 'tsconfig.base.json'), 'utf8'));

// Transpiled output is cached on disk by content, so a process (or a thread: the SQLite store's
// writer thread loads its code through this file) whose files are all cached never loads the
// TypeScript compiler, which alone takes a few hundred ms to load.
const tsVersion = JSON.parse(fs.readFileSync(require.resolve('typescript/package.json'), 'utf8')).version;
const cacheDir = path.join(os.tmpdir(), `send-register-ts-${typeof process.getuid === 'function' ? process.getuid() : 'user'}`);
let ts = null;

function transpile(source, filename) {
  ts ??= require('typescript');
  return ts.transpileModule(source, {
    fileName: filename,
    compilerOptions: {
      module: ts.ModuleKind.CommonJS,
      target: ts.ScriptTarget.ES2022,
      esModuleInterop: true,
      experimentalDecorators: true,
      emitDecoratorMetadata: true,
      inlineSourceMap: true,
    },
  }).outputText;
}

require.extensions['.ts'] = function compileTs(module, filename) {
  const source = fs.readFileSync(filename, 'utf8');
  const key = crypto.createHash('sha256').update(`${CACHE_FORMAT}\0${tsVersion}\0${filename}\0${source}`).digest('hex');
  const cached = path.join(cacheDir, `${key}.js`);
  let outputText;
  try {
    outputText = fs.readFileSync(cached, 'utf8');
  } catch {
    outputText = transpile(source, filename);
    try {
      fs.mkdirSync(cacheDir, { recursive: true });
      // Written aside then renamed: a process reading it at the same time sees all of it or nothing.
      const aside = `${cached}.${process.pid}.${Math.random().toString(36).slice(2)}`;
      fs.writeFileSync(aside, outputText);
      fs.renameSync(aside, cached);
    } catch {
      // No cache (read-only tmp...): the next run transpiles again.
    }
  }
  module._compile(outputText, filename);
};

require('tsconfig-paths').register({ baseUrl: path.join(root, compilerOptions.baseUrl || '.'), paths: compilerOptions.paths });
