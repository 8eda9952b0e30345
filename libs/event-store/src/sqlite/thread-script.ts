import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** How to start a worker thread's script: a file, or (from TypeScript sources) code to `eval`. */
export interface ThreadScript {
  script: string;
  eval: boolean;
}

/**
 * Where a worker thread's code is, in each way the module starting it runs (ADR 0018). Pass that
 * module's own `__filename` and `__dirname` and the thread's file name without extension:
 * - from TypeScript sources (ts-jest, `node -r register-ts.js` for benches and CLIs): the thread
 *   loads `<dir>/<name>.ts` through the same register-ts.js (which caches its transpiled output on
 *   disk, so a thread starts without loading the TypeScript compiler);
 * - from a webpack bundle (dist/apps/<app>/main.js): `__dirname` is the bundle's folder, where
 *   webpack.config.js emits `<name>.js` as a second entry;
 * - from plain tsc output: the compiled `<name>.js` beside the module.
 * A missing compiled script throws at once, naming `owner` and the way out (`missingHint`).
 */
export function threadScript(
  caller: { filename: string; dirname: string },
  name: string,
  owner: string,
  missingHint: string,
): ThreadScript {
  if (caller.filename.endsWith('.ts')) {
    const registerTs = resolve(__dirname, '../testing/register-ts.js');
    const thread = resolve(caller.dirname, `${name}.ts`);
    return { script: `require(${JSON.stringify(registerTs)}); require(${JSON.stringify(thread)});`, eval: true };
  }
  const script = join(caller.dirname, `${name}.js`);
  if (!existsSync(script)) {
    throw new Error(
      `${owner}: the thread's script ${script} is missing. Build with \`npm run build\` (webpack.config.js emits ` +
        `${name}.js beside each app's main.js)${missingHint ? `, ${missingHint}` : ''}.`,
    );
  }
  return { script, eval: false };
}
