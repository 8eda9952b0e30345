import { performance } from 'node:perf_hooks';
import type Redis from 'ioredis';
import { readAllToHead, type EventStore } from '@send/event-store';
import type { Policy } from '@send/sla';
import { keys } from '../keys';
import { eventTime } from '../event-time';
import { REQUEST_STREAM_PREFIX, requestIdOf } from '@send/domain';
import { applyToRequestRecord, type RequestRecord } from '../request-view/request-view';
import { UsersRepository } from '../users/users.repository';
import { dashboardRowOf } from './dashboard-row';
import { readDashboardRows, type LiveDashboardThread } from './live-dashboard-thread';
import { computeSlaDashboard, dashboardQueryKey, type SlaDashboard, type SlaDashboardQuery } from './sla-dashboard';

export interface SlaDashboardServiceDeps {
  store: EventStore;
  redis: Redis;
  policy: Policy;
  clock?: () => Date;
  /**
   * How old a live dashboard may be (ms): one computation over every record serves every manager
   * who asks within this, and a stale one is answered at once while the next is computed, for up to
   * ten times as long. 0 (the default) computes on every call. Its `asOf` says when it was computed.
   */
  liveMaxAgeMs?: number;
  /**
   * Where live dashboards are computed: a LiveDashboardThread (the api's), off the event loop. Absent:
   * on the caller's event loop (tools, tests). Either way the same computeSlaDashboard over the same rows.
   */
  liveThread?: Pick<LiveDashboardThread, 'compute'>;
}

interface LiveEntry {
  at: number;
  /** How long the last computation took (ms, wall time). */
  tookMs: number;
  value?: SlaDashboard;
  pending?: Promise<SlaDashboard>;
}

/** Distinct live queries kept (dates and filters): the oldest goes first. */
const LIVE_QUERIES_KEPT = 64;

/**
 * GET /api/dashboard/sla: `live` from the request records in Redis at the clock's now; `asOf` a past
 * date by replaying the event store up to that date into records with the same fold.
 */
export class SlaDashboardService {
  private readonly users: UsersRepository;
  /** As-of replays run one at a time: each reads the whole log, so N at once would take N times the CPU and memory. */
  private replays: Promise<unknown> = Promise.resolve();
  private readonly liveKept = new Map<string, LiveEntry>();

  constructor(private readonly deps: SlaDashboardServiceDeps) {
    this.users = new UsersRepository(deps.redis);
  }

  async live(query: SlaDashboardQuery = {}): Promise<SlaDashboard> {
    const maxAge = this.deps.liveMaxAgeMs ?? 0;
    if (maxAge <= 0) return this.computeLive(query);
    const key = dashboardQueryKey(query);
    const entry = this.liveKept.get(key) ?? this.keepLive(key);
    const age = this.now().getTime() - entry.at;
    // A computation that took longer than the max age is not started again until it has been idle
    // as long as it ran: at 1M events one takes seconds, and back to back they would keep a core
    // busy for figures nobody reads that often (the answer's asOf says how old they are).
    const fresh = Math.max(maxAge, 2 * entry.tookMs);
    if (entry.value && age < fresh) return entry.value;
    if (!entry.pending) {
      const started = performance.now();
      entry.pending = this.computeLive(query)
        .then((value) => Object.assign(entry, { value, at: Date.parse(value.asOf), tookMs: performance.now() - started }).value)
        .finally(() => (entry.pending = undefined));
      entry.pending.catch(() => undefined); // a refresh nobody waits for must not fail unhandled; waiters still see the error
    }
    return entry.value && age < Math.max(maxAge * 10, fresh + entry.tookMs) ? entry.value : entry.pending;
  }

  private keepLive(key: string): LiveEntry {
    if (this.liveKept.size >= LIVE_QUERIES_KEPT) this.liveKept.delete(this.liveKept.keys().next().value!);
    const entry: LiveEntry = { at: 0, tookMs: 0 };
    this.liveKept.set(key, entry);
    return entry;
  }

  private async computeLive(query: SlaDashboardQuery): Promise<SlaDashboard> {
    const now = this.now();
    if (this.deps.liveThread) return this.named(await this.deps.liveThread.compute(query, now));
    const rows = await readDashboardRows(this.deps.redis);
    return this.named(computeSlaDashboard(rows, { ...query, now, policy: this.deps.policy }));
  }

  private now(): Date {
    return (this.deps.clock ?? (() => new Date()))();
  }

  /**
   * As the dashboard stood at `date`: events recorded after it are not replayed. A date still to come
   * is taken as now: nothing is known of it yet, and aging waiting requests to a far date would only
   * walk the calendar for nothing.
   */
  async asOf(requested: Date, query: SlaDashboardQuery = {}): Promise<SlaDashboard> {
    const date = requested.getTime() > this.now().getTime() ? this.now() : requested;
    const replay = this.replays.then(() => replayRequestRecords(this.deps.store, date));
    this.replays = replay.catch(() => undefined);
    const records = await replay;
    return this.named(computeSlaDashboard(records.map(dashboardRowOf), { ...query, now: date, policy: this.deps.policy }));
  }

  /**
   * Officers the rows give no name for (replayed records, or officers who own nothing now but had a
   * breach attributed to them) get today's name from the users directory.
   */
  private async named(dashboard: SlaDashboard): Promise<SlaDashboard> {
    for (const row of dashboard.byOfficer) row.name ??= (await this.users.get(row.officerId))?.name ?? null;
    return dashboard;
  }
}

/**
 * Request records folded from the event store as they stood at `asOf`: every event that happened
 * at or before it (by its own time, see eventTime). It reads the whole log rather than stopping at
 * the first event recorded later, because history recorded after the fact (imported, or demo data)
 * still belongs to its own dates.
 */
export async function replayRequestRecords(store: EventStore, asOf: Date): Promise<RequestRecord[]> {
  const records = new Map<string, RequestRecord>();
  const limit = asOf.getTime();
  await readAllToHead(
    store,
    (event) => {
      if (Date.parse(eventTime(event)) <= limit) {
        const id = requestIdOf(event.streamId)!;
        const after = applyToRequestRecord(records.get(id) ?? null, event);
        if (after) records.set(id, after);
      }
    },
    { streamPrefixes: [REQUEST_STREAM_PREFIX] },
  );
  return [...records.values()];
}
