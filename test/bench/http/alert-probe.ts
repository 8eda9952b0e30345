/**
 * The HTTP benchmark's alert probe, in a process of its own so the load generator's busy event loop
 * does not sit between the two timestamps it takes:
 *
 *   node -r ./libs/event-store/src/testing/register-ts.js test/bench/http/alert-probe.ts '<json options>'
 *
 * Opens GET /api/alerts/stream?access_token=<manager token> as EventSource would (raw
 * text/event-stream over node:http). The api sends the stream's headers with its first event, so the
 * first request ids are sentinels: their threshold attempts are sent one by one until an alert proves
 * the stream live; then the probe prints {"ready":true}, waits for a line "go" on stdin, sends the
 * threshold-crossing attempt (POST /api/requests/:id/attempts as the requester, the 3rd unanswered
 * one) on each other request, one every gapMs with at most 4 in flight, and times each from the moment the request is written
 * to the moment the manager's `alert` event naming that request arrives. Prints one JSON line with
 * the samples and exits.
 */
import http from 'node:http';
import { machineClockMs } from '@send/event-store/machine-clock';

interface Options {
  baseUrl: string;
  managerToken: string;
  requesterToken: string;
  requestIds: string[];
  gapMs: number;
  timeoutMs: number;
}

export interface Sample {
  requestId: string;
  status: number;
  escalated: boolean;
  /** attempt written -> SSE event received */
  toAlert: number | null;
  /** attempt's HTTP answer complete -> SSE event received (negative: the alert beat the answer) */
  afterAnswer: number | null;
  /** attempt's HTTP round trip */
  roundTrip: number | null;
  /** Wall clock (ms) when the attempt was written and when its alert was heard, to line up with the apps' alert traces. */
  writtenAt?: number;
  heardAt?: number | null;
}

/** What the probe prints as its last line (or `{ error }`). */
export interface ProbeResult {
  error?: string;
  samples: Sample[];
  sentinel?: Sample | null;
  events: number;
  seconds: number;
}

const options = JSON.parse(process.argv[2]) as Options;
/** The first request ids prove the stream live (tried in turn until one's alert arrives); not samples. */
const SENTINELS = 3;
const MAX_IN_FLIGHT = 4;
const url = new URL(options.baseUrl);
const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
/** The machine's clock, which the apps' alert traces use too (machineClockMs). */
const now = machineClockMs;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const heard = new Map<string, number>();
const waiting = new Map<string, (at: number) => void>();
let events = 0;

/** Sends the stream's request; its answer (headers included) comes with the first event. */
function openStream(onError: (error: Error) => void): http.ClientRequest {
  {
    const req = http.get(
      {
        host: url.hostname,
        port: url.port,
        path: `/api/alerts/stream?access_token=${encodeURIComponent(options.managerToken)}`,
        headers: { accept: 'text/event-stream', 'cache-control': 'no-cache' },
      },
      (res) => {
        if (res.statusCode !== 200) return onError(new Error(`alert stream answered ${res.statusCode}`));
        res.setEncoding('utf8');
        let buffer = '';
        res.on('data', (chunk: string) => {
          const at = now();
          buffer += chunk;
          let end: number;
          // Events end with a blank line (\n\n; \r\n\r\n from some servers).
          while ((end = buffer.search(/\r?\n\r?\n/)) >= 0) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end).replace(/^\r?\n\r?\n/, '');
            const data = block
              .split(/\r?\n/)
              .filter((l) => l.startsWith('data:'))
              .map((l) => l.slice(5).replace(/^ /, ''))
              .join('\n');
            if (!data) continue;
            events++;
            try {
              const alert = JSON.parse(data) as { requestId?: string };
              if (alert.requestId && !heard.has(alert.requestId)) {
                heard.set(alert.requestId, at);
                waiting.get(alert.requestId)?.(at);
              }
            } catch {
              /* not JSON: not ours */
            }
          }
        });
      },
    );
    req.once('error', onError);
    return req;
  }
}

function attempt(requestId: string): Promise<{ status: number; body: string; written: number; answered: number }> {
  const body = JSON.stringify({ channel: 'phone' });
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        agent,
        host: url.hostname,
        port: url.port,
        method: 'POST',
        path: `/api/requests/${requestId}/attempts`,
        headers: {
          authorization: `Bearer ${options.requesterToken}`,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text, written, answered: now() }));
      },
    );
    req.once('error', reject);
    const written = now();
    req.end(body);
  });
}

async function one(requestId: string): Promise<Sample> {
  const alerted = new Promise<number | null>((resolve) => {
    waiting.set(requestId, resolve);
    setTimeout(() => resolve(null), options.timeoutMs).unref();
  });
  try {
    const res = await attempt(requestId);
    let escalated = false;
    try {
      escalated = !!(JSON.parse(res.body) as { request?: { escalation?: unknown } }).request?.escalation;
    } catch {
      /* not JSON */
    }
    if (res.status < 200 || res.status >= 300)
      return { requestId, status: res.status, escalated, toAlert: null, afterAnswer: null, roundTrip: res.answered - res.written };
    const at = heard.get(requestId) ?? (await alerted);
    return {
      requestId,
      status: res.status,
      escalated,
      toAlert: at === null ? null : at - res.written,
      afterAnswer: at === null ? null : at - res.answered,
      roundTrip: res.answered - res.written,
      writtenAt: res.written,
      heardAt: at,
    };
  } catch (error) {
    return {
      requestId,
      status: 0,
      escalated: false,
      toAlert: null,
      afterAnswer: null,
      roundTrip: null,
      ...{ error: (error as Error).message },
    };
  } finally {
    waiting.delete(requestId);
  }
}

async function main(): Promise<void> {
  let streamError: Error | null = null;
  const stream = openStream((error) => (streamError = error));
  // The api subscribes to Redis when the first stream opens: give the SUBSCRIBE a moment to land,
  // then prove the stream live with a sentinel's alert (the next one if an early alert went unheard).
  const sentinels = options.requestIds.slice(0, SENTINELS);
  const requestIds = options.requestIds.slice(SENTINELS);
  await sleep(500);
  let sentinelSample: Sample | null = null;
  for (const sentinel of sentinels) {
    sentinelSample = await one(sentinel);
    if (streamError) throw streamError;
    if (sentinelSample.toAlert !== null) break;
  }
  if (sentinelSample?.toAlert == null)
    throw new Error(`no sentinel's alert arrived on the stream (last attempt answered ${sentinelSample?.status})`);
  process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
  await new Promise<void>((resolve) => {
    let input = '';
    process.stdin.setEncoding('utf8');
    process.stdin.on('data', (d: string) => {
      input += d;
      if (input.includes('go')) resolve();
    });
  });
  const started = now();
  const running: Promise<Sample>[] = [];
  // At most MAX_IN_FLIGHT probes at once, so the probe measures the load and does not become it.
  const inFlight = new Set<Promise<Sample>>();
  for (const id of requestIds) {
    while (inFlight.size >= MAX_IN_FLIGHT) await Promise.race(inFlight);
    const p = one(id);
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
    running.push(p);
    await sleep(options.gapMs);
  }
  const samples = await Promise.all(running);
  stream.destroy();
  agent.destroy();
  process.stdout.write(`${JSON.stringify({ samples, sentinel: sentinelSample, events, seconds: (now() - started) / 1000 })}\n`);
  process.exit(0);
}

main().catch((error) => {
  process.stdout.write(`${JSON.stringify({ error: (error as Error).message })}\n`);
  process.exit(1);
});
