import { isSubmitted, replay, STREAM_PREFIX, toDomainEvent, type ContactRequestEvent, type EscalationRole } from '@send/domain';
import type { EventStore, RecordedEvent } from '@send/event-store';
import { isAlertEventType, summariseAlert, type AlertSummary } from '../templates';

/**
 * The alert an event raises, from its stream read up to and including it (so redelivery, however
 * late, words the same alert). Null when the event raises none: not an alert type, a stream this
 * code cannot fold, or a breach whose own decision also raised an escalation (that escalation's
 * alert says so, and managers get one message, not two).
 */
export async function loadAlert(
  store: EventStore,
  event: RecordedEvent,
  options: { breachRole?: EscalationRole } = {},
): Promise<AlertSummary | null> {
  if (!isAlertEventType(event.type) || !event.streamId.startsWith(STREAM_PREFIX)) return null;
  const stored = await store.read(event.streamId);
  const upTo = stored.filter((e) => e.revision <= event.revision);
  const domain = upTo.map(toDomainEvent).filter((e): e is ContactRequestEvent => e !== null);
  const trigger = toDomainEvent(event);
  const state = replay(domain);
  if (!trigger || !isSubmitted(state)) return null;
  if (
    trigger.type === 'SlaBreached' &&
    raisedWithEscalation(
      trigger,
      stored.find((e) => e.revision === event.revision + 1n),
    )
  )
    return null;
  return summariseAlert(event.id, trigger, state, options);
}

function raisedWithEscalation(breach: Extract<ContactRequestEvent, { type: 'SlaBreached' }>, next: RecordedEvent | undefined): boolean {
  if (!next || next.type !== 'EscalationRaised') return false;
  const d = next.data as { reason?: string; raisedAt?: string };
  return d.reason === 'sla_breached' && d.raisedAt === breach.data.breachedAt;
}
