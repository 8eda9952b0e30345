/*
 * Run TypeScript with plain Node, no ts-node: `node -r ./libs/event-store/src/testing/register-ts.js file.ts`.
 * Transpiles each .ts file on require with typescript.transpileModule (no type-check; run tsc for
 * that) and resolves the @send/* aliases of tsconfig.base.json with tsconfig-paths.
 * Used by the event-store benchmark and by the multi-process SQLite test.
 */
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const ts = require('typescript');

const root = path.resolve(__dirname, '../../../..');
const { compilerOptions } = JSON.parse(fs.readFileSync(path.join(root, 'tsconfig.base.json'), 'utf8'));

require.extensions['.ts'] = function compileTs(module, filename) {
  const source = fs.readFileSync(filename, 'utf8');
  const { outputText } = ts.transpileModule(source, {
    fileName: filename,
    compilerOptions: {
      module: ts.ModuleKind.CommonJS,
      target: ts.ScriptTarget.ES2022,
      esModuleInterop: true,
      experimentalDecorators: true,
      emitDecoratorMetadata: true,
      inlineSourceMap: true,
    },
  });
  module._compile(outputText, filename);
};

require('tsconfig-paths').register({ baseUrl: path.join(root, compilerOptions.baseUrl || '.'), paths: compilerOptions.paths });
