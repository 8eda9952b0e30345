import { createHash, timingSafeEqual } from 'node:crypto';
import { collectDefaultMetrics, Histogram, Registry } from 'prom-client';
import type { EventStoreObserver } from '@send/event-store';
import type { AppConfig } from './config';

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
