import { spawn, type ChildProcess } from 'node:child_process';
import { join, resolve } from 'node:path';

const root = resolve(__dirname, '../..');

/**
 * The built api or worker as a process of its own, so a test can kill one (SIGKILL, as a crash)
 * and start it again while the other keeps running.
 */
export class AppProcess {
  private child?: ChildProcess;
  private log = '';

  constructor(
    readonly app: 'api' | 'worker',
    private readonly env: Record<string, string>,
  ) {}

  output(): string {
    return this.log;
  }

  async start(ready: (output: string) => boolean, timeoutMs = 90_000): Promise<void> { // generous: several apps starting at once on a busy machine
    this.child = spawn(process.execPath, [join(root, 'dist/apps', this.app, 'main.js')], {
      cwd: root,
      env: { ...process.env, NODE_ENV: 'test', LOG_LEVEL: 'warn', ...this.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout!.on('data', (d) => (this.log += d));
    this.child.stderr!.on('data', (d) => (this.log += d));
    const deadline = Date.now() + timeoutMs;
    while (!ready(this.log)) {
      if (this.child.exitCode !== null || Date.now() > deadline) throw new Error(`${this.app} did not start:\n${this.log}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  get running(): boolean {
    return !!this.child && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** A crash: no shutdown hooks, nothing flushed. */
  async kill(): Promise<void> {
    await this.stop('SIGKILL');
  }

  /**
   * Resolves with the exit code, or the signal that ended it: Nest's shutdown hooks re-raise the
   * signal once they are done, so a clean SIGTERM stop ends by 'SIGTERM' (the 15 s guard's ends by 'SIGKILL').
   */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | NodeJS.Signals | null> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return child?.exitCode ?? child?.signalCode ?? null;
    const exited = new Promise<number | NodeJS.Signals | null>((res) => child.once('exit', (code, sig) => res(code ?? sig)));
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    const code = await exited;
    clearTimeout(timer);
    return code;
  }
}
