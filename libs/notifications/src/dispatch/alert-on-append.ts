import { isSubmitted, REQUEST_STREAM_PREFIX, toDomainEvent, type EscalationRole, type State } from '@send/domain';
import type { RecordedEvent } from '@send/event-store';
import { liveAlertOf, outgoingAlert, type LiveAlert, type NotificationChannel } from '../channels';
import type { Recipient, RecipientDirectory } from '../recipients';
import { summariseAlert } from '../templates';
import { alertRecipients, type RecipientLookup } from './alert-recipients';
import { deliveryJobId } from './notification-job';

export interface AlertOnAppendOptions {
  /** The in-app channel, made as the worker makes it (same Redis, channel and marks: InAppChannel). */
  channel: Pick<NotificationChannel, 'send'>;
  /** Asked without a position: the caller does not wait for the projections (see publish). */
  directory: RecipientDirectory;
  /** As the dispatcher's: links made absolute the same way. */
  publicBaseUrl?: string;
  /**
   * Handed the alert before it is published: the appending process's own live streams get it
   * without waiting for Redis to echo it back (they drop the echo, and the dispatcher's copy, by
   * deliveryId: LiveAlerts).
   */
  local?: (alert: LiveAlert) => void;
}

/**
 * The in-app alert of an escalation a command has just raised, published by the process that
 * appended it, without waiting for the worker to read the store (ADR 0002, amended 2026-12-02).
 *
 * It is the dispatcher's delivery, not a second one: the same summary (summariseAlert on the state
 * right after the event), the same audience rule (alertRecipients) and the same delivery id, so the
 * InAppChannel's mark (alerts:live:sent:<id>) lets exactly one of the two publishes through, in
 * whichever order they come. The dispatcher stays the guarantee: anything this declines or fails
 * at, the worker publishes a moment later.
 */
export class AlertOnAppend {
  constructor(private readonly options: AlertOnAppendOptions) {}

  /**
   * The lookups an escalation just decided (not yet appended) will need, started now so they run
   * while the append commits: the alerted role of the request's team. Pass the result to publish.
   * Undefined when the decision raises no escalation.
   */
  prefetch(decided: ReadonlyArray<{ type: string; data?: unknown }>, teamId: string | null): RecipientLookup | undefined {
    const raised = decided.find((e) => e.type === 'EscalationRaised');
    const role = (raised?.data as { notifyRole?: EscalationRole } | undefined)?.notifyRole;
    if (!role) return undefined;
    const asked = new Map<string, Promise<Recipient[]>>();
    const lookup: RecipientLookup = (r, t) => {
      const key = `${r}|${t ?? ''}`;
      let answer = asked.get(key);
      if (!answer) asked.set(key, (answer = this.options.directory.recipientsFor(r, t)));
      return answer;
    };
    lookup(role, teamId).catch(() => undefined); // awaited by publish, which fails then; not unhandled meanwhile
    return lookup;
  }

  /**
   * `recorded`: the events one append stored, in order; `state`: the request's state after the last
   * of them. Publishes when the last one is an EscalationRaised (the only alert a request command
   * decides; breaches, advances and re-notifications come from the worker's timers). Resolves true
   * when the alert was sent (or its mark was already set), false when it was left to the dispatcher.
   */
  async publish(
    recorded: readonly RecordedEvent[],
    state: State,
    lookup: RecipientLookup = (role, teamId) => this.options.directory.recipientsFor(role, teamId),
  ): Promise<boolean> {
    const last = recorded[recorded.length - 1];
    if (!last || last.type !== 'EscalationRaised' || !last.streamId.startsWith(REQUEST_STREAM_PREFIX)) return false;
    const trigger = toDomainEvent(last);
    if (!trigger || !isSubmitted(state)) return false;
    const summary = summariseAlert(last.id, trigger, state);
    if (!summary) return false;
    const { alert, recipients, covered } = await alertRecipients(summary, lookup);
    // Covering for a team with no manager is decided on a read model this process does not wait
    // for: a manager registered a moment ago may not be in it yet, and the dispatcher, which waits,
    // would then choose the team manager, another delivery id, and the managers would hear twice.
    if (covered) return false;
    const target = { role: alert.notifyRole, teamId: alert.teamId, userIds: recipients.map((r) => r.userId) };
    const deliveryId = deliveryJobId(last.id, 'in_app', target);
    const outgoing = outgoingAlert(deliveryId, alert, { baseUrl: this.options.publicBaseUrl });
    this.options.local?.(liveAlertOf(outgoing, target));
    await this.options.channel.send(outgoing, target);
    return true;
  }
}
