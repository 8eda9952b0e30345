import type { RecordedEvent } from '@send/event-store';

/**
 * When an event happened in the world: its own instant (an attempt's `at`, a submission's
 * `submittedAt`, an escalation's `raisedAt`, a breach's `breachedAt`), else when it was recorded.
 * History imported or replayed later (demo data, migrations) keeps its real times this way.
 */
export function eventTime(event: Pick<RecordedEvent, 'data' | 'recordedAt'>): string {
  const d = event.data as Record<string, unknown>;
  const own = d.at ?? d.submittedAt ?? d.raisedAt ?? d.breachedAt;
  return typeof own === 'string' ? own : event.recordedAt.toISOString();
}
