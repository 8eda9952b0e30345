import type { ContactRequestEvent, ContactRequestState, EscalationRole } from '@send/domain';
import type { AlertKind, AlertSummary } from './alert';

export const ALERT_EVENT_TYPES = ['EscalationRaised', 'EscalationAdvanced', 'EscalationRenotified', 'SlaBreached'] as const;
export type AlertEventType = (typeof ALERT_EVENT_TYPES)[number];
export const isAlertEventType = (type: string): type is AlertEventType => (ALERT_EVENT_TYPES as readonly string[]).includes(type);

/**
 * The alert for one event, from the request's state right after that event (so a redelivered event
 * gives the same alert). Picks the allowed fields one by one: the state also holds the requester's
 * name and contact details, which must never reach a notification.
 */
export function summariseAlert(
  eventId: string,
  event: ContactRequestEvent,
  state: ContactRequestState,
  options: { breachRole?: EscalationRole } = {},
): AlertSummary | null {
  const e = state.escalation;
  const openEscalation = e && e.status !== 'resolved' ? e : null;
  const base = {
    alertId: eventId,
    requestId: state.requestId,
    reference: state.reference,
    category: state.category,
    priority: state.priority,
    requesterRole: state.requester.role,
    teamId: state.teamId,
    submittedAt: state.submittedAt,
    firstUnansweredAt: state.firstUnansweredAt,
    link: `/requests/${state.requestId}`,
  };
  const kind = (k: AlertKind) => k;
  switch (event.type) {
    case 'EscalationRaised': {
      const d = event.data;
      return {
        ...base,
        kind: kind('escalation_raised'),
        escalationId: d.escalationId,
        level: d.level,
        notifyRole: d.notifyRole,
        reason: d.reason,
        unansweredCount: e?.id === d.escalationId ? e.unansweredCount : d.unansweredCount,
        at: d.raisedAt,
        ackDueAt: d.ackDueAt,
      };
    }
    case 'EscalationAdvanced': {
      const d = event.data;
      return {
        ...base,
        kind: kind('escalation_advanced'),
        escalationId: d.escalationId,
        level: d.toLevel,
        fromLevel: d.fromLevel,
        notifyRole: d.notifyRole,
        reason: d.reason,
        unansweredCount: e?.id === d.escalationId ? e.unansweredCount : state.unansweredCount,
        at: d.at,
        ackDueAt: d.ackDueAt,
      };
    }
    case 'EscalationRenotified': {
      const d = event.data;
      return {
        ...base,
        kind: kind('escalation_renotified'),
        escalationId: d.escalationId,
        level: d.level,
        notifyRole: d.notifyRole,
        reason: d.reason,
        renotification: d.renotification,
        unansweredCount: e?.id === d.escalationId ? e.unansweredCount : state.unansweredCount,
        at: d.at,
        ...(d.ackDueAt ? { ackDueAt: d.ackDueAt } : {}),
      };
    }
    case 'SlaBreached': {
      const d = event.data;
      return {
        ...base,
        kind: kind('sla_breached'),
        ...(openEscalation ? { escalationId: openEscalation.id } : {}),
        level: openEscalation?.level ?? null,
        // An open escalation already names who is answerable now; otherwise the team's manager.
        notifyRole: openEscalation?.notifyRole ?? options.breachRole ?? 'team_manager',
        reason: d.clock,
        clock: d.clock,
        dueAt: d.dueAt,
        unansweredCount: state.unansweredCount,
        at: d.breachedAt,
      };
    }
    default:
      return null;
  }
}
