import { SingleBar } from 'cli-progress';
import { ConfigError, loadConfig, type AppConfig } from '@send/platform/config';

/** Where a worker CLI writes: counts on stdout, progress and errors on stderr. */
export interface CliIo {
  stderr: NodeJS.WritableStream;
  stdout: NodeJS.WritableStream;
}

/** The settings from the environment, or null once it has said on stderr what is wrong with them (the CLI then exits 1). */
export function cliConfig(env: NodeJS.ProcessEnv, io: CliIo): AppConfig | null {
  try {
    return loadConfig(env);
  } catch (error) {
    io.stderr.write(`${error instanceof ConfigError ? error.message : String(error)}\n`);
    return null;
  }
}

/** What `open` gives (the stores a run works on), or null once it has said on stderr why `name` cannot run (the CLI then exits 1). */
export async function cliOpen<T>(name: string, io: CliIo, open: () => Promise<T>): Promise<T | null> {
  try {
    return await open();
  } catch (error) {
    io.stderr.write(`${name} cannot run: ${error instanceof Error ? error.message : String(error)}\n`);
    return null;
  }
}

/**
 * A progress bar on stderr (a line a second when it is not a terminal), started by the first report
 * that has something to count: a run with nothing to do shows none. `payload` fills the format's
 * other tokens (e.g. `{events}`).
 */
export class CliProgress {
  private readonly bar: SingleBar;
  private started = false;

  constructor(io: CliIo, format: string) {
    this.bar = new SingleBar({ stream: io.stderr, format, hideCursor: true, noTTYOutput: true, notTTYSchedule: 1000 });
  }

  update(done: number, total: number, payload: Record<string, unknown> = {}): void {
    if (!this.started) {
      if (total <= 0) return;
      this.bar.start(total, 0, payload);
      this.started = true;
    }
    this.bar.update(done, payload);
  }

  stop(): void {
    if (this.started) this.bar.stop();
    this.started = false;
  }
}
