import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort, startThrowawayRedis } from '../support/system';

/**
 * The README's quick start, as a person runs it: `npm start` in a fresh clone with no node_modules
 * and no dist/ installs the dependencies (npm ci, from npm's cache where it can), builds, starts,
 * and stops on Ctrl-C; a second `npm start` neither installs nor builds again. The clone is of the
 * committed HEAD: uncommitted changes are not in it.
 */
const repoRoot = resolve(__dirname, '../..');

describe('npm start on a fresh clone', () => {
  let workDir: string;
  let clone: string;
  let redis: Awaited<ReturnType<typeof startThrowawayRedis>>;
  const running: ChildProcess[] = [];

  beforeAll(async () => {
    workDir = mkdtempSync(join(tmpdir(), 'send-fresh-clone-'));
    clone = join(workDir, 'repo');
    execFileSync('git', ['clone', '--quiet', '--depth', '1', `file://${repoRoot}`, clone], { stdio: 'pipe' });
    // The test's own Redis: the one npm test starts is shared by specs that flush its databases.
    redis = await startThrowawayRedis();
  });

  afterAll(async () => {
    for (const child of running) if (child.exitCode === null && child.signalCode === null) killGroup(child, 'SIGKILL');
    await redis?.stop();
    rmSync(workDir, { recursive: true, force: true });
  });

  /** `npm start` in the clone, in a process group of its own as a terminal runs it, so Ctrl-C reaches every process. */
  async function npmStart(dataDir: string, readyWithinMs: number) {
    const port = await freePort();
    const child = spawn('npm', ['start'], {
      cwd: clone,
      env: { ...personsShell(), PORT: String(port), DATA_DIR: dataDir, REDIS_URL: redis.url, DEMO: 'true', LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    running.push(child);
    let output = '';
    child.stdout!.on('data', (d) => (output += d));
    child.stderr!.on('data', (d) => (output += d));
    const exited = new Promise<number | NodeJS.Signals | null>((res) => child.once('exit', (code, signal) => res(code ?? signal)));
    const started = Date.now();
    while (!output.includes('is running at')) {
      if (child.exitCode !== null) throw new Error(`npm start exited (${child.exitCode}) before it was running:\n${output.slice(-6000)}`);
      if (Date.now() - started > readyWithinMs)
        throw new Error(`npm start was not running after ${readyWithinMs / 1000} s:\n${output.slice(-6000)}`);
      await new Promise((r) => setTimeout(r, 250));
    }
    return {
      baseUrl: `http://127.0.0.1:${port}`,
      secondsToRunning: (Date.now() - started) / 1000,
      output: () => output,
      /**
       * Ctrl-C, as a terminal sends it: SIGINT to the whole process group. Resolves with how npm
       * ended: its exit code, or SIGINT when npm re-raises the signal it got after its script ended.
       */
      async interrupt() {
        killGroup(child, 'SIGINT');
        const timer = setTimeout(() => killGroup(child, 'SIGKILL'), 30_000);
        const code = await exited;
        clearTimeout(timer);
        return code;
      },
      /** Whether any process of the run (npm, the launcher, api, worker) is still alive. */
      groupAlive() {
        try {
          process.kill(-child.pid!, 0);
          return true;
        } catch {
          return false;
        }
      },
    };
  }

  it('installs, builds, starts with the start page and health, prints the demo sign-ins, and stops on Ctrl-C', async () => {
    expect(existsSync(join(clone, 'node_modules'))).toBe(false);
    expect(existsSync(join(clone, 'dist'))).toBe(false);
    const dataDir = join(workDir, 'data');
    // npm ci compiles better-sqlite3 and the build bundles two apps: about 4 minutes on a quiet
    // 2-core machine; npm ci alone took 12 minutes while other builds and tests kept it busy.
    const first = await npmStart(dataDir, 1_200_000);
    try {
      const output = first.output();
      expect(output).toContain('[start] node_modules is missing: running `npm ci --prefer-offline');
      expect(output).toMatch(/\[start\] installed the dependencies in [\d.]+ s/);
      expect(output).toContain('[start] building the api and the worker (dist/apps/api/main.js is missing)');
      expect(output).toMatch(/\[start\] built in [\d.]+ s/);
      expect(existsSync(join(clone, 'node_modules/.package-lock.json'))).toBe(true);
      expect(output).toContain(`is running at http://localhost:${new URL(first.baseUrl).port}`);

      expect((await fetch(`${first.baseUrl}/health`)).status).toBe(200);
      const start = await fetch(`${first.baseUrl}/`);
      expect(start.status).toBe(200);
      expect(start.headers.get('content-type')).toMatch(/^text\/html/);
      expect(await start.text()).toContain('Contact the SEND service');
      // The page's styles come from the govuk-frontend that npm ci installed.
      const css = await fetch(`${first.baseUrl}/govuk/govuk-frontend.min.css`);
      expect(css.status).toBe(200);

      const signIns = /demo sign-ins \(password demo\): ([^;]+);/.exec(output)?.[1].split(', ') ?? [];
      expect(signIns.length).toBeGreaterThan(0);
      for (const email of signIns) {
        const login = await fetch(`${first.baseUrl}/api/auth/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ email, password: 'demo' }),
        });
        expect({ email, status: login.status }).toEqual({ email, status: 200 });
      }
      console.log(
        `fresh clone: npm start was running after ${first.secondsToRunning.toFixed(0)} s ` +
          `(${/installed the dependencies in ([\d.]+ s)/.exec(output)?.[1]} npm ci, ${/built in ([\d.]+ s)/.exec(output)?.[1]} build)`,
      );
    } finally {
      expect([0, 'SIGINT']).toContain(await first.interrupt());
    }
    // The launcher's Ctrl-C path (exit 0), not its "a process died" one (exit 1): npm, interrupted
    // itself, reports neither.
    expect(first.output()).toContain('[start] stopped');
    expect(first.output()).not.toContain('stopped unexpectedly');
    expect(first.groupAlive()).toBe(false);
  }, 1_300_000);

  it('a second npm start neither installs nor builds again', async () => {
    const second = await npmStart(join(workDir, 'data'), 90_000);
    try {
      expect(second.output()).not.toContain('npm ci');
      expect(second.output()).toContain('[start] dist/ is newer than apps/ and libs/: using it as built');
      expect((await fetch(`${second.baseUrl}/health`)).status).toBe(200);
    } finally {
      expect([0, 'SIGINT']).toContain(await second.interrupt());
    }
    // The launcher's Ctrl-C path (exit 0), not its "a process died" one (exit 1): npm, interrupted
    // itself, reports neither.
    expect(second.output()).toContain('[start] stopped');
    expect(second.output()).not.toContain('stopped unexpectedly');
    expect(second.groupAlive()).toBe(false);
  }, 120_000);
});

/** The environment of a person's shell: without what `npm test` and Jest add for their own run. */
function personsShell(): NodeJS.ProcessEnv {
  const added = new Set([
    'SKIP_BUILD',
    'NODE_OPTIONS',
    'NODE_ENV',
    'JEST_WORKER_ID',
    'REDIS_URL',
    'SQLITE_PATH',
    'PORT',
    'DATA_DIR',
    'INIT_CWD',
  ]);
  return Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('npm_') && !added.has(name)));
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals) {
  try {
    process.kill(-child.pid!, signal);
  } catch {
    /* already gone */
  }
}
