import type { Category, Clock, EscalationRole, Priority, RequesterRole } from '@send/domain';

/** What happened, from the manager's point of view. One per event the dispatcher acts on. */
export type AlertKind = 'escalation_raised' | 'escalation_advanced' | 'escalation_renotified' | 'sla_breached';

/**
 * Everything a notification may say about a request, and nothing more: the reference, category,
 * counts, times, level and reason. It is built from the request's events but never carries a name,
 * an email address, a phone number, the case number, the subject or any message text, so no
 * template can leak them (specs check this).
 */
export interface AlertSummary {
  /** The id of the event that raised the alert: one alert per event. */
  alertId: string;
  kind: AlertKind;
  requestId: string;
  reference: string;
  category: Category;
  priority: Priority;
  /** Who is trying to get an answer (a role, not a person): worded "the family", "the school"... */
  requesterRole: RequesterRole;
  teamId: string | null;
  /** The escalation level the alert is at (null for a breach with no open escalation). */
  level: number | null;
  fromLevel?: number;
  escalationId?: string;
  /** The role being alerted (the escalation chain's role at `level`, or the breach's role). */
  notifyRole: EscalationRole;
  /** repeated_unanswered | sla_breached | ack_timeout | still_unanswered (escalations); the clock (breaches). */
  reason: string;
  /** Unanswered contact attempts (on the escalation when one is open). */
  unansweredCount: number;
  submittedAt: string;
  /** The oldest attempt still unanswered, when there is one. */
  firstUnansweredAt: string | null;
  /** When the event happened (raisedAt, at, breachedAt). */
  at: string;
  /** Acknowledge by (escalations). */
  ackDueAt?: string;
  /** The deadline that was missed (breaches). */
  dueAt?: string;
  clock?: Clock;
  /** Re-notification number at the last level (escalation_renotified). */
  renotification?: number;
  /** Path of the request in the case system, e.g. /requests/<id>. */
  link: string;
}
