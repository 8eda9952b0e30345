import {
  foldStored,
  isSubmitted,
  REQUEST_STREAM_PREFIX,
  toDomainEvent,
  type ContactRequestEvent,
  type EscalationRole,
  type KeptStates,
  type State,
} from '@send/domain';
import type { EventStore, RecordedEvent } from '@send/event-store';
import { isAlertEventType, summariseAlert, type AlertSummary } from '../templates';

/**
 * The alert an event raises, from its stream read up to and including it (so redelivery, however
 * late, words the same alert). Null when the event raises none: not an alert type, a stream this
 * code cannot fold, a breach whose own decision also raised an escalation (that escalation's
 * alert says so, and managers get one message, not two), or an alert already settled by the time
 * it is dispatched (see isSettled).
 */
export async function loadAlert(
  store: EventStore,
  event: RecordedEvent,
  options: { breachRole?: EscalationRole; kept?: KeptStates } = {},
): Promise<AlertSummary | null> {
  if (!isAlertEventType(event.type) || !event.streamId.startsWith(REQUEST_STREAM_PREFIX)) return null;
  // With a state kept for the stream (see KeptStates), only what followed it is read and folded: the
  // alert itself and anything after it, when the dispatcher kept up with the stream's other events.
  const known = options.kept?.get(event.streamId);
  const from = known && known.revision < event.revision ? known : null;
  const stored = await store.read(event.streamId, from ? { fromRevision: from.revision + 1n } : undefined);
  const trigger = toDomainEvent(event);
  const upTo = stored.filter((e) => e.revision <= event.revision);
  const state = foldStored(upTo, from?.state);
  options.kept?.set(event.streamId, event.revision, state);
  if (!trigger || !isSubmitted(state)) return null;
  if (isSettled(trigger, foldStored(stored.slice(upTo.length), state))) return null;
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

/**
 * Nobody needs telling any more: the request is resolved, or the escalation was acknowledged,
 * resolved or has climbed past this level (the later event alerts on its own). This is what keeps
 * a worker that starts late (after an outage, or over imported history) from paging managers
 * about escalations that were dealt with meanwhile.
 */
export function isSettled(trigger: ContactRequestEvent, now: State): boolean {
  if (!isSubmitted(now) || now.status === 'resolved') return true;
  const escalation = now.escalation;
  switch (trigger.type) {
    case 'EscalationRaised':
    case 'EscalationAdvanced': {
      const level = trigger.type === 'EscalationRaised' ? trigger.data.level : trigger.data.toLevel;
      return !escalation || escalation.id !== trigger.data.escalationId || escalation.status !== 'open' || escalation.level > level;
    }
    case 'EscalationRenotified':
      return (
        !escalation ||
        escalation.id !== trigger.data.escalationId ||
        escalation.status === 'resolved' ||
        escalation.renotifications > trigger.data.renotification
      );
    default:
      return false;
  }
}
