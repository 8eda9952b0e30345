import {
  evolveStored,
  foldStored,
  isSubmitted,
  REQUEST_STREAM_PREFIX,
  toDomainEvent,
  type ContactRequestEvent,
  type EscalationRole,
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

/**
 * The states of requests that raised an alert, as of the last of their events seen: most recently
 * used last; bounded. Events are immutable, so a kept state is never stale: a later alert folds on
 * what followed it, and reads only what it has not seen.
 */
export class KeptStates {
  private readonly states = new Map<string, { revision: bigint; state: State }>();
  constructor(private readonly max = 10_000) {}

  get(streamId: string): { revision: bigint; state: State } | undefined {
    return this.states.get(streamId);
  }

  /**
   * Folds on an event that directly follows the state kept for its stream, so the stream's next
   * alert reads from itself on, not every event since the last alert: the answers and calls between
   * two escalations of a busy request were read again (from disk, decrypted, folded) at the second.
   * Any other event leaves the states as they are: a stream not kept has its first alert read whole,
   * and a gap (an event at or below the kept revision again, or one missed) is read by the next alert.
   */
  follow(event: RecordedEvent): void {
    const known = this.states.get(event.streamId);
    if (known !== undefined && event.revision === known.revision + 1n)
      this.set(event.streamId, event.revision, evolveStored(known.state, event));
  }

  set(streamId: string, revision: bigint, state: State): void {
    this.states.delete(streamId); // re-insert: Map order doubles as least-recently-used
    this.states.set(streamId, { revision, state });
    if (this.states.size > this.max) this.states.delete(this.states.keys().next().value!);
  }
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
