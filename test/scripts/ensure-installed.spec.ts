import { mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// The plain-JS helpers `npm start` and `npm test` run before anything is installed.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { installNeed, ensureInstalled } = require('../../scripts/lib/ensure-installed') as {
  installNeed(o: { nodeModulesExists: boolean; installedLockMtime: number | null; lockMtime: number | null }): string | null;
  ensureInstalled(o: { root: string; log: (m: string) => void; env?: NodeJS.ProcessEnv }): boolean;
};
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { buildNeed, newestBuildInput } = require('../../scripts/lib/ensure-built') as {
  buildNeed(o: { outputs: { path: string; mtime: number | null }[]; newestInput: { path: string; mtime: number } | null }): string | null;
  newestBuildInput(root: string): { path: string; mtime: number } | null;
};

describe('installNeed: when npm start and npm test run npm ci first', () => {
  it('installs on a fresh clone (no node_modules)', () => {
    expect(installNeed({ nodeModulesExists: false, installedLockMtime: null, lockMtime: 1000 })).toBe('node_modules is missing');
  });

  it('installs when node_modules has no record of a finished npm install', () => {
    expect(installNeed({ nodeModulesExists: true, installedLockMtime: null, lockMtime: 1000 })).toMatch(/\.package-lock\.json is missing/);
  });

  it('installs again when package-lock.json changed after the last install', () => {
    expect(installNeed({ nodeModulesExists: true, installedLockMtime: 1000, lockMtime: 2000 })).toMatch(/changed after the last install/);
  });

  it('does nothing when the last install is as new as package-lock.json or newer', () => {
    expect(installNeed({ nodeModulesExists: true, installedLockMtime: 2000, lockMtime: 2000 })).toBeNull();
    expect(installNeed({ nodeModulesExists: true, installedLockMtime: 3000, lockMtime: 2000 })).toBeNull();
  });
});

describe('ensureInstalled', () => {
  let dir: string;
  const lines: string[] = [];
  const log = (m: string) => lines.push(m);
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'send-ensure-installed-'));
    lines.length = 0;
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('runs no npm when node_modules is up to date', () => {
    writeFileSync(join(dir, 'package-lock.json'), '{}');
    mkdirSync(join(dir, 'node_modules'));
    writeFileSync(join(dir, 'node_modules/.package-lock.json'), '{}');
    utimesSync(join(dir, 'package-lock.json'), new Date(1000), new Date(1000));
    expect(ensureInstalled({ root: dir, log })).toBe(false);
    expect(lines).toEqual([]);
  });

  it('never reinstalls a node_modules that links to another checkout, and refuses under CI', () => {
    mkdirSync(join(dir, 'shared-install'));
    symlinkSync(join(dir, 'shared-install'), join(dir, 'node_modules'));
    writeFileSync(join(dir, 'package-lock.json'), '{}');
    expect(ensureInstalled({ root: dir, log, env: {} })).toBe(false);
    expect(lines.join('\n')).toMatch(/warning: .*\.package-lock\.json is missing.*node_modules is a link to .*shared-install/);
    expect(() => ensureInstalled({ root: dir, log, env: { CI: 'true' } })).toThrow(/not reinstalling a shared install/);
  });

  it('says which npm command failed, with the extra flags from NPM_CI_FLAGS', () => {
    // A package that is in no cache (its checksum is made up): with --offline from NPM_CI_FLAGS,
    // npm ci fails at once without the network.
    const dependencies = { 'left-pad': '1.3.0' };
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'fresh-clone', version: '1.0.0', dependencies }));
    const leftPad = {
      version: '1.3.0',
      resolved: 'https://registry.npmjs.org/left-pad/-/left-pad-1.3.0.tgz',
      integrity: `sha512-${'A'.repeat(86)}==`,
    };
    const lock = {
      name: 'fresh-clone',
      version: '1.0.0',
      lockfileVersion: 3,
      requires: true,
      packages: { '': { dependencies }, 'node_modules/left-pad': leftPad },
    };
    writeFileSync(join(dir, 'package-lock.json'), JSON.stringify(lock));
    expect(() =>
      ensureInstalled({
        root: dir,
        log,
        env: { PATH: process.env.PATH, HOME: process.env.HOME, NPM_CI_FLAGS: '--offline  --loglevel=error' },
      }),
    ).toThrow(/`npm ci --prefer-offline --no-audit --no-fund --offline --loglevel=error` failed \(exit \d+\) in .*Nothing was started/);
    expect(lines[0]).toMatch(/^node_modules is missing: running `npm ci/);
  });
});

describe('buildNeed: when npm start and npm test build first', () => {
  const outputs = (api: number | null, worker: number | null) => [
    { path: 'dist/apps/api/main.js', mtime: api },
    { path: 'dist/apps/worker/main.js', mtime: worker },
  ];

  it('builds when an app was never built', () => {
    expect(buildNeed({ outputs: outputs(2000, null), newestInput: { path: 'apps/api/src/main.ts', mtime: 1000 } })).toBe(
      'dist/apps/worker/main.js is missing',
    );
  });

  it('builds when a source changed after the older of the two builds, naming it', () => {
    expect(buildNeed({ outputs: outputs(1000, 3000), newestInput: { path: 'libs/sla/src/policy.ts', mtime: 2000 } })).toBe(
      'libs/sla/src/policy.ts changed after the last build',
    );
  });

  it('does nothing when both builds are newer than every source', () => {
    expect(buildNeed({ outputs: outputs(3000, 3000), newestInput: { path: 'apps/api/src/main.ts', mtime: 2000 } })).toBeNull();
  });
});

describe('newestBuildInput', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'send-ensure-built-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('finds the newest file under apps/ and libs/, and a folder whose file was deleted', () => {
    mkdirSync(join(dir, 'apps/api/src'), { recursive: true });
    mkdirSync(join(dir, 'libs/sla/src'), { recursive: true });
    const at = (path: string, ms: number) => utimesSync(join(dir, path), new Date(ms), new Date(ms));
    writeFileSync(join(dir, 'apps/api/src/main.ts'), '');
    writeFileSync(join(dir, 'libs/sla/src/policy.ts'), '');
    writeFileSync(join(dir, 'README.md'), ''); // not a build input
    for (const folder of ['apps', 'apps/api', 'apps/api/src', 'libs', 'libs/sla', 'libs/sla/src']) at(folder, 1000);
    at('apps/api/src/main.ts', 2000);
    at('libs/sla/src/policy.ts', 3000);
    at('README.md', 9000);
    expect(newestBuildInput(dir)).toEqual({ path: 'libs/sla/src/policy.ts', mtime: 3000 });

    at('libs/sla/src', 4000); // what deleting a file there does
    expect(newestBuildInput(dir)).toEqual({ path: 'libs/sla/src', mtime: 4000 });
  });
});
