import { createHash, timingSafeEqual } from 'node:crypto';
import { PerformanceObserver } from 'node:perf_hooks';
import { getHeapStatistics } from 'node:v8';
import { collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { EventStoreObserver } from '@send/event-store';
import type { AppConfig } from './config';
import { isMajorGc, startOldSpaceCompaction } from './old-space-compaction';

/**
 * One process's Prometheus registry: Node's default metrics (CPU, memory, GC, event-loop lag) and
 * the event store's group commits. A registry per app instance, not prom-client's global one, so
 * several apps in one process (tests) never collide on a metric name.
 */
export class AppMetrics {
  readonly registry = new Registry();
  /** Hand this to the event store adapter (PlatformModule does). */
  readonly eventStoreObserver: EventStoreObserver;

  constructor(app: 'api' | 'worker') {
    this.registry.setDefaultLabels({ app });
    collectDefaultMetrics({ register: this.registry });
    heapAfterMajorGc(this.registry);
    const compaction = startOldSpaceCompaction();
    new Gauge({
      name: 'send_heap_old_space_compactions',
      help: 'Full collections this process asked V8 to compact its old space wholly, as it held too much free memory (ADR 0022)',
      registers: [this.registry],
      collect() {
        this.set(compaction.compactions);
      },
    });
    const batch = new Histogram({
      name: 'send_event_store_append_batch_size',
      help: 'Appends committed together in one SQLite group commit',
      buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512],
      registers: [this.registry],
    });
    const events = new Histogram({
      name: 'send_event_store_append_batch_events',
      help: 'Events written by one SQLite group commit',
      buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024],
      registers: [this.registry],
    });
    const commit = new Histogram({
      name: 'send_event_store_commit_duration_seconds',
      help: 'Time of one SQLite group commit (BEGIN to COMMIT, fsync included)',
      labelNames: ['committed'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers: [this.registry],
    });
    this.eventStoreObserver = {
      commit: (o) => {
        batch.observe(o.appends);
        events.observe(o.events);
        commit.observe({ committed: String(o.committed) }, o.ms / 1000);
      },
    };
  }

  /** The Prometheus text exposition and its content type. */
  async scrape(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}

/**
 * V8 heap in use just after the last full (mark-sweep-compact) collection: what is still live, not
 * garbage waiting. nodejs_heap_size_used_bytes, sampled at a scrape, swings with the allocation
 * since the last collection; this one only moves when what survives moves, so a leak shows as a climb
 * of this gauge (the soak judges it, test/proofs/soak.ts). Read when the GC's performance entry is
 * delivered, a moment after the collection: the little allocated in between is counted too. 0 until
 * the first full collection.
 */
function heapAfterMajorGc(registry: Registry): void {
  const gauge = new Gauge({
    name: 'send_heap_used_after_major_gc_bytes',
    help: 'V8 heap in use just after the last full garbage collection (what survived it)',
    registers: [registry],
  });
  gauge.set(0);
  const observer = new PerformanceObserver((list) => {
    if (list.getEntries().some(isMajorGc)) gauge.set(getHeapStatistics().used_heap_size);
  });
  // Like prom-client's own GC observer (nodejs_gc_duration_seconds): kept for the process's life.
  observer.observe({ entryTypes: ['gc'] });
}

/**
 * Who may read /metrics (shared API.md, "Operations": not public in production). With
 * METRICS_TOKEN set: only `Authorization: Bearer <METRICS_TOKEN>` ('unauthorized' otherwise).
 * Without it: served outside production, and in production answered as if there were no such page
 * ('hidden'), so a forgotten token never exposes it.
 */
export function metricsAccess(
  config: Pick<AppConfig, 'METRICS_TOKEN' | 'NODE_ENV'>,
  authorization: string | undefined,
): 'allow' | 'unauthorized' | 'hidden' {
  if (!config.METRICS_TOKEN) return config.NODE_ENV === 'production' ? 'hidden' : 'allow';
  const [scheme, token] = (authorization ?? '').split(' ');
  if (scheme !== 'Bearer' || !token) return 'unauthorized';
  // Digests first: equal lengths for timingSafeEqual, and nothing learnt from how long the token is.
  const digest = (text: string) => createHash('sha256').update(text).digest();
  return timingSafeEqual(digest(token), digest(config.METRICS_TOKEN)) ? 'allow' : 'unauthorized';
}
