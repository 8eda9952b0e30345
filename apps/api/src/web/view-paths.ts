import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

// Apart from web-http.ts (the Fastify plugins), so what renders a template outside the pages
// (the subject access export's HTML) finds the templates without loading those plugins.

/**
 * Templates: next to this file in the source (ts-jest, tsc) and copied by nest-cli's `assets` to
 * dist/apps/api/web/views in the build (webpack's bundle has __dirname = dist/apps/api), so the
 * built app, the Docker image (dist + node_modules) and the tests all find them.
 */
export function viewsDir(): string {
  for (const dir of [join(__dirname, 'views'), join(__dirname, 'web/views')]) if (existsSync(join(dir, 'layout.njk'))) return dir;
  throw new Error(`web page templates not found beside ${__dirname}`);
}

/** This service's own page scripts (alerts.js, dashboard.js...): beside the views, copied the same way by nest-cli's `assets`. */
export function webAssetsDir(): string {
  for (const dir of [join(__dirname, 'assets'), join(__dirname, 'web/assets')]) if (existsSync(join(dir, 'alerts.js'))) return dir;
  throw new Error(`web page scripts not found beside ${__dirname}`);
}

/** A package's folder, looked up from here and from the working directory (webpack leaves node_modules outside the bundle). */
export function packageDir(name: string): string {
  for (let dir of [__dirname, process.cwd()]) {
    for (;;) {
      const candidate = join(dir, 'node_modules', name);
      if (existsSync(join(candidate, 'package.json'))) return candidate;
      if (dirname(dir) === dir) break;
      dir = dirname(dir);
    }
  }
  throw new Error(`${name} is not installed (npm ci)`);
}
