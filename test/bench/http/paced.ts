/**
 * An open-loop load for the HTTP benchmark's paced phase: each call's requests arrive at random
 * (exponential gaps, so arrivals are Poisson at the call's rate, as independent families and
 * officers would make them), each sent at its time whatever is still waiting for an answer, on
 * keep-alive connections opened as needed. A request's latency runs from the time it was due, not
 * from when it went out, so a late send (a busy load generator) counts against the system as it
 * would against a caller, never hidden (no coordinated omission).
 *
 * autocannon's own rate option does not do this: each connection sends its quota for the second as
 * fast as it can at the start of the second and then waits, so every second begins with a burst.
 */
import http from 'node:http';
import { performance } from 'node:perf_hooks';

export interface PacedCall {
  name: string;
  method: string;
  path: (i: number) => string;
  token?: string;
  body?: unknown;
  /** Requests a second (mean). */
  rate: number;
}

export interface PacedResult {
  name: string;
  sent: number;
  /** Latency of each 2xx answer, ms, from the time the request was due. */
  latencies: number[];
  non2xx: number;
  errors: number;
  statusCodes: Record<string, number>;
  /** Most of this call's requests waiting for an answer at once. */
  maxInFlight: number;
  /** From the first request due to the last answer. */
  seconds: number;
}

/** Sends `calls` for `seconds` (and until `until` resolves, if given), then waits up to 30 s for the last answers. */
export async function pacedLoad(baseUrl: string, calls: PacedCall[], seconds: number, until?: Promise<unknown>): Promise<PacedResult[]> {
  const url = new URL(baseUrl);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1024 });
  const started = performance.now();
  let timeUp = false;
  const stopWhen = Promise.all([new Promise((r) => setTimeout(r, seconds * 1000)), until]);
  void stopWhen.then(() => (timeUp = true));
  let outstanding = 0;
  let lastAnswer = started;
  let drained: (() => void) | null = null;

  const states = calls.map((call) => {
    const body = call.body === undefined ? undefined : JSON.stringify(call.body);
    const headers: Record<string, string | number> = {};
    if (call.token) headers.authorization = `Bearer ${call.token}`;
    if (body !== undefined) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = Buffer.byteLength(body);
    }
    const result: PacedResult = {
      name: call.name,
      sent: 0,
      latencies: [],
      non2xx: 0,
      errors: 0,
      statusCodes: {},
      maxInFlight: 0,
      seconds: 0,
    };
    return { call, body, headers, result, inFlight: 0, next: started + gap(call.rate) };
  });

  const send = (s: (typeof states)[number], due: number) => {
    const i = s.result.sent++;
    s.inFlight++;
    outstanding++;
    s.result.maxInFlight = Math.max(s.result.maxInFlight, s.inFlight);
    let answered = false;
    // Once per request: an error may follow the end of its answer (or a timeout its error).
    const done = (status: number | null) => {
      if (answered) return;
      answered = true;
      lastAnswer = performance.now();
      s.inFlight--;
      outstanding--;
      if (status === null) s.result.errors++;
      else {
        s.result.statusCodes[status] = (s.result.statusCodes[status] ?? 0) + 1;
        if (status >= 200 && status < 300) s.result.latencies.push(lastAnswer - due);
        else s.result.non2xx++;
      }
      if (outstanding === 0 && drained) drained();
    };
    const req = http.request(
      { host: url.hostname, port: url.port, method: s.call.method, path: s.call.path(i), headers: s.headers, agent, timeout: 30_000 },
      (res) => {
        res.resume();
        res.on('end', () => done(res.statusCode ?? 0));
        res.on('error', () => done(null));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => done(null));
    req.end(s.body);
  };

  // Every millisecond or so: send what has come due (several at once when the loop was late).
  await new Promise<void>((resolve) => {
    const tick = () => {
      if (timeUp) return resolve();
      const t = performance.now();
      for (const s of states) {
        while (s.next <= t) {
          send(s, s.next);
          s.next += gap(s.call.rate);
        }
      }
      setTimeout(tick, 1);
    };
    tick();
  });
  if (outstanding > 0) await Promise.race([new Promise<void>((r) => (drained = r)), new Promise((r) => setTimeout(r, 30_000).unref())]);
  agent.destroy();
  return states.map((s) => ({ ...s.result, seconds: (lastAnswer - started) / 1000 }));
}

/** An exponential gap, ms, for a mean rate of `rate` a second. */
const gap = (rate: number) => (-Math.log(1 - Math.random()) * 1000) / rate;
