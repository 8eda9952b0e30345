/**
 * Transpiles (here, in the parent, which has the TypeScript compiler loaded anyway) every .ts file
 * under libs/ (specs aside) and the benchmark's own helpers into one JSON file {filename: js}, for
 * precompiled-hook.js: the child processes then never load the compiler.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import ts from 'typescript';

const root = resolve(__dirname, '../../..');

export function precompile(out: string): number {
  const compiled: Record<string, string> = {};
  const files = [...walk(join(root, 'libs')), ...walk(__dirname)];
  for (const filename of files) compiled[filename] = transpile(filename);
  writeFileSync(out, JSON.stringify(compiled));
  return files.length;
}

function walk(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== 'node_modules') out.push(...walk(path));
    } else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts') && !entry.name.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

/** The same options as libs/event-store/src/testing/register-ts.js. */
function transpile(filename: string): string {
  return ts.transpileModule(readFileSync(filename, 'utf8'), {
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
