import { Worker, type MessagePort, type WorkerOptions } from 'node:worker_threads';
import type Redis from 'ioredis';
import type { Policy } from '@send/sla';
import { keys } from '../keys';
import type { DashboardRow } from './dashboard-row';
import { computeSlaDashboard, type SlaDashboard, type SlaDashboardQuery } from './sla-dashboard';

/** workerData.role of the thread that computes live dashboards (the api's entry checks it first). */
export const LIVE_DASHBOARD_THREAD = 'send:live-sla-dashboard';

interface Ask {
  id: number;
  query: SlaDashboardQuery;
  /** Epoch ms: the caller's clock, so a fake clock holds in the thread too. */
  now: number;
}
type Answer = { id: number; dashboard: SlaDashboard } | { id: number; error: string };

/** Every request's dashboard row, read in chunks (each MGET hands the event loop back). */
export async function readDashboardRows(redis: Redis): Promise<DashboardRow[]> {
  const ids = await redis.zrange(keys.allRequests(), 0, -1);
  const rows: DashboardRow[] = [];
  for (let i = 0; i < ids.length; i += 1000) {
    const stored = await redis.mget(ids.slice(i, i + 1000).map(keys.dashboardRow));
    for (const s of stored) if (s !== null) rows.push(JSON.parse(s) as DashboardRow);
  }
  return rows;
}

/**
 * The thread's side: answers each ask with computeSlaDashboard over the rows in Redis then, one at a
 * time (the caller keeps at most one ask per query in flight). What it posts back is the dashboard
 * alone, a few kB whatever the number of rows.
 */
export function serveLiveDashboards(port: MessagePort, deps: { redis: Redis; policy: Policy }): void {
  let queue = Promise.resolve();
  port.on('message', (ask: Ask) => {
    queue = queue.then(async () => {
      let answer: Answer;
      try {
        const rows = await readDashboardRows(deps.redis);
        answer = { id: ask.id, dashboard: computeSlaDashboard(rows, { ...ask.query, now: new Date(ask.now), policy: deps.policy }) };
      } catch (error) {
        answer = { id: ask.id, error: error instanceof Error ? error.message : String(error) };
      }
      port.postMessage(answer);
    });
  });
}

/**
 * The caller's side: a worker thread that computes live dashboards, so the api's event loop only
 * reads the answer. At 1M events (200k requests) one computation parses and measures 200k rows for
 * seconds; on the event loop it held every other request (and the cached dashboard's answers) that
 * long, every DASHBOARD_LIVE_MAX_AGE. `filename` is a script that calls serveLiveDashboards on its
 * parentPort when its workerData.role is LIVE_DASHBOARD_THREAD (the api's main.js). A thread that
 * dies fails what it was asked, and the next ask starts another.
 */
export class LiveDashboardThread {
  private worker: Worker | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (d: SlaDashboard) => void; reject: (e: Error) => void }>();

  constructor(
    private readonly filename: string,
    private readonly options: Omit<WorkerOptions, 'workerData'> & { workerData?: Record<string, unknown> } = {},
  ) {}

  compute(query: SlaDashboardQuery, now: Date): Promise<SlaDashboard> {
    const worker = this.worker ?? this.start();
    const id = this.nextId++;
    return new Promise<SlaDashboard>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      const ask: Ask = { id, query: plainQuery(query), now: now.getTime() };
      worker.postMessage(ask);
    });
  }

  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = null;
    await worker?.terminate();
  }

  private start(): Worker {
    const worker = new Worker(this.filename, {
      ...this.options,
      workerData: { ...this.options.workerData, role: LIVE_DASHBOARD_THREAD },
    });
    worker.unref(); // never what keeps the process alive
    worker.on('message', (answer: Answer) => {
      const waiting = this.pending.get(answer.id);
      this.pending.delete(answer.id);
      if (!waiting) return;
      if ('error' in answer) waiting.reject(new Error(`live dashboard thread: ${answer.error}`));
      else waiting.resolve(answer.dashboard);
    });
    const failAll = (error: Error) => {
      if (this.worker === worker) this.worker = null;
      for (const [, waiting] of this.pending) waiting.reject(error);
      this.pending.clear();
    };
    worker.on('error', failAll);
    worker.on('exit', (code) => failAll(new Error(`live dashboard thread exited (${code})`)));
    this.worker = worker;
    return worker;
  }
}

/** Dates as ISO strings: what crosses to the thread is cloned, and the computation reads either. */
function plainQuery(query: SlaDashboardQuery): SlaDashboardQuery {
  const iso = (d: Date | string | null | undefined) => (d instanceof Date ? d.toISOString() : d);
  return { ...query, from: iso(query.from), to: iso(query.to) };
}
