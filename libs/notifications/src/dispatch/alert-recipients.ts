import type { EscalationRole } from '@send/domain';
import type { Recipient } from '../recipients';
import type { AlertSummary } from '../templates';

/** The holders of a role for a team (RecipientDirectory.recipientsFor, however the caller asks it). */
export type RecipientLookup = (role: EscalationRole, teamId: string | null) => Promise<Recipient[]>;

/**
 * Who an alert goes to: the holders of the alerted role. An alert for the team manager of a request
 * with no team, or of a team without a manager, goes to the service managers instead (`covered`),
 * so it never reaches no one. The role decides the in-app delivery id, so the dispatcher and the
 * api's early publish (AlertOnAppend) both use this one rule.
 */
export async function alertRecipients(
  alert: AlertSummary,
  lookup: RecipientLookup,
): Promise<{ alert: AlertSummary; recipients: Recipient[]; covered: boolean }> {
  const recipients = await lookup(alert.notifyRole, alert.teamId);
  if (recipients.length > 0 || alert.notifyRole !== 'team_manager') return { alert, recipients, covered: false };
  const covering: AlertSummary = { ...alert, notifyRole: 'service_manager' };
  return { alert: covering, recipients: await lookup('service_manager', alert.teamId), covered: true };
}
