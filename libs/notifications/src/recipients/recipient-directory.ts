import type { EscalationRole } from '@send/domain';

/** A staff member an alert can be sent to. Only what delivery needs: no name. */
export interface Recipient {
  userId: string;
  email: string;
  role: string;
  teamId: string | null;
}

/**
 * Who holds a role for a request: team managers are those of the request's team; service
 * managers and heads of service are service-wide (teamId is ignored for them). `asOf`: a position
 * the answer must include every account event up to (the dispatcher passes the last account event
 * it has seen before the alert, or the alert's own position when it does not know).
 */
export interface RecipientDirectory {
  recipientsFor(role: EscalationRole, teamId: string | null, asOf?: bigint): Promise<Recipient[]>;
}

/** Roles whose holders answer for one team only. */
export const TEAM_SCOPED_ROLES: readonly string[] = ['team_manager'];

/** The rule above over any list of accounts (shared by every directory implementation). */
export function selectRecipients(accounts: Iterable<Recipient>, role: string, teamId: string | null): Recipient[] {
  const teamScoped = TEAM_SCOPED_ROLES.includes(role);
  const out: Recipient[] = [];
  for (const a of accounts) {
    if (a.role !== role) continue;
    if (teamScoped && (teamId === null || a.teamId !== teamId)) continue;
    out.push(a);
  }
  return out.sort((x, y) => x.userId.localeCompare(y.userId));
}
