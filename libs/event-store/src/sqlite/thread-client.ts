import { Worker } from 'node:worker_threads';
import type { ThreadScript } from './thread-script';

interface Pending<Kept> {
  kept: Kept;
  resolve: (answer: never) => void;
  reject: (error: Error) => void;
}

/**
 * The main thread's end of a worker thread that answers requests by id (the SQLite writers, ADR
 * 0018 and 0014): each request's promise settles when its owner hands the thread's answer to
 * `settle`. Idle, the thread does not keep the process alive; it is ref'd while a request is in
 * flight, whose caller waits on it. If the thread dies (a crash, an uncaught error, terminated),
 * every request in flight is rejected with why, `onDeath` is told once, and every later request
 * is refused: a dead thread is never restarted here (its owner decides whether to start another).
 */
export class ThreadClient<Kept = undefined> {
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending<Kept>>();
  private nextId = 1;
  private closing = false;
  private died: Error | null = null;
  private readonly exited: Promise<void>;

  /** `name` starts the errors' messages ("<name> failed: ...", "<name> exited unexpectedly ..."). */
  constructor(
    { script, eval: isEval }: ThreadScript,
    workerData: unknown,
    // The thread's messages are its owner's protocol: typed by the owner's handler.
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    options: { name: string; onMessage: (message: any) => void; onDeath?: (error: Error) => void },
  ) {
    // execArgv: [] so the app's own node flags (--cpu-prof, -r ...) do not apply to the thread.
    this.worker = new Worker(script, { eval: isEval, workerData, execArgv: [] });
    this.worker.unref();
    const die = (error: Error) => {
      if (this.died) return;
      this.died = error;
      const pending = [...this.pending.values()];
      this.pending.clear();
      for (const request of pending) request.reject(error);
      options.onDeath?.(error);
    };
    this.worker.on('message', options.onMessage);
    this.worker.on('error', (error) => die(new Error(`${options.name} failed: ${error.message}`, { cause: error })));
    this.exited = new Promise<void>((resolveExit) =>
      this.worker.on('exit', (code) => {
        if (!this.closing) die(new Error(`${options.name} exited unexpectedly (code ${code})`));
        resolveExit();
      }),
    );
  }

  /** Why the thread died, or null while it lives. */
  get dead(): Error | null {
    return this.died;
  }

  /** Posts what `message` builds for a new id; resolves with what `settle` is given for that id. `kept` stays here for the owner (`kept(id)`). */
  request<Answer>(message: (id: number) => unknown, kept: Kept): Promise<Answer> {
    if (this.died) return Promise.reject(this.died);
    const id = this.nextId++;
    return new Promise<Answer>((resolve, reject) => {
      this.pending.set(id, { kept, resolve: resolve as (answer: never) => void, reject });
      this.worker.ref();
      this.worker.postMessage(message(id));
    });
  }

  /** What the request `id` (still in flight) was sent with. */
  kept(id: number): Kept | undefined {
    return this.pending.get(id)?.kept;
  }

  /** Settles the request `id` with the thread's answer, or rejects it with an error. */
  settle(id: number, answer: unknown): void {
    const request = this.pending.get(id);
    this.pending.delete(id);
    if (answer instanceof Error) request?.reject(answer);
    else request?.resolve(answer as never);
    if (this.pending.size === 0) this.worker.unref();
  }

  /** Posts `message` (the thread's own close) and waits until the thread has ended. */
  async close(message: unknown): Promise<void> {
    this.closing = true;
    if (!this.died) {
      this.worker.ref();
      this.worker.postMessage(message);
    }
    await this.exited;
  }

  /** Ends the thread at once, as a crash would (tests of the failure path). */
  terminate(): Promise<number> {
    return this.worker.terminate();
  }
}
