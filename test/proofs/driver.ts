import { randomUUID } from 'node:crypto';
import type { WorkloadCall } from '../bench/http/workload';
import type { Accepted } from './checks';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A small concurrent HTTP client for the proofs: `connections` loops per call, each issuing the
 * call again and again. Every command carries an Idempotency-Key of its own; a command that gets no
 * answer (the api was killed, the connection reset) or a 5xx is sent again with the same key until
 * it is answered or `retryForMs` passes, as a careful client would. Each 2xx answer to a command is
 * recorded (the ids it gave) for checkAccepted.
 */
export class LoadDriver {
  readonly accepted: Accepted[] = [];
  /** Answers by call and status, e.g. "POST /api/requests 201". */
  readonly statuses = new Map<string, number>();
  /** Commands sent again after no answer or a 5xx. */
  retries = 0;
  /** Commands still unanswered after retryForMs (not counted as accepted). */
  gaveUp = 0;
  private stopping = false;
  private loops: Promise<void>[] = [];

  constructor(
    private readonly options: {
      baseUrl: string;
      calls: WorkloadCall[];
      /** A new request accepted: the caller may add it to the pool the calls work on. */
      onSubmitted?: (requestId: string) => void;
      retryForMs?: number;
    },
  ) {}

  start(): void {
    this.stopping = false;
    for (const call of this.options.calls) {
      const counter = { i: 0 };
      for (let c = 0; c < (call.connections ?? 1); c++) this.loops.push(this.loop(call, counter));
    }
  }

  /** Stops issuing new calls and waits for those in flight (retries included) to end. */
  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(this.loops);
    this.loops = [];
  }

  get answered(): number {
    return [...this.statuses.values()].reduce((a, b) => a + b, 0);
  }

  private async loop(call: WorkloadCall, counter: { i: number }): Promise<void> {
    while (!this.stopping) await this.once(call, counter.i++);
  }

  private async once(call: WorkloadCall, i: number): Promise<void> {
    const path = call.path(i);
    const headers: Record<string, string> = {};
    if (call.token) headers.authorization = `Bearer ${call.token}`;
    if (call.body !== undefined) headers['content-type'] = 'application/json';
    if (call.command) headers['idempotency-key'] = randomUUID();
    const deadline = Date.now() + (this.options.retryForMs ?? 90_000);
    for (;;) {
      let status = 0;
      let text = '';
      try {
        const res = await fetch(this.options.baseUrl + path, {
          method: call.method,
          headers,
          body: call.body === undefined ? undefined : JSON.stringify(call.body),
          signal: AbortSignal.timeout(30_000),
        });
        status = res.status;
        text = await res.text();
      } catch {
        status = 0; // no answer: killed, refused, reset
      }
      if (status !== 0) {
        const label = `${call.method} ${call.name.split(' ')[1]} ${status}`;
        this.statuses.set(label, (this.statuses.get(label) ?? 0) + 1);
      }
      if (call.command && (status === 0 || status >= 500) && Date.now() < deadline) {
        this.retries += 1;
        await sleep(250);
        continue;
      }
      if (call.command && status === 0) this.gaveUp += 1;
      if (call.command && status >= 200 && status < 300) this.record(call.command, JSON.parse(text));
      if (status === 0) await sleep(250); // a GET with no answer: do not spin while the api is down
      return;
    }
  }

  private record(command: NonNullable<WorkloadCall['command']>, body: Record<string, any>): void {
    if (command === 'submission') {
      this.accepted.push({ kind: 'submission', requestId: body.id });
      this.options.onSubmitted?.(body.id);
    } else if (command === 'attempt') this.accepted.push({ kind: 'attempt', requestId: body.request.id, attemptId: body.attemptId });
    else this.accepted.push({ kind: 'response', requestId: body.request.id, responseId: body.responseId });
  }
}
