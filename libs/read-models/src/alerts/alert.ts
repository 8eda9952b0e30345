import { keys } from '../keys';
import { requestFacts, type RequestRecord } from '../request-view/request-view';

/** GET /api/alerts item (shared API.md) plus what routing needs (teamId, notifyRole). */
export interface Alert {
  escalationId: string;
  requestId: string;
  reference: string;
  level: number;
  reason: string;
  unansweredCount: number;
  raisedAt: string;
  status: 'open' | 'acknowledged' | 'resolved';
  teamId: string | null;
  notifyRole: string | null;
}

/** Lowest escalation level each manager role sees: its own level and everything routed above it. */
export const ALERT_LEVEL_OF_ROLE: Readonly<Record<string, number>> = {
  team_manager: 1,
  service_manager: 2,
  head_of_service: 3,
};

/** Every escalation of a request, as alerts. */
export function alertsOf(record: Pick<RequestRecord, 'state'> | null): Alert[] {
  return alertsWithLevels(record).map(({ alert }) => alert);
}

/** Every escalation of a request, as alerts, with each level it ever reached (what rm:alerts:raised:<level> counts). */
export function alertsWithLevels(record: Pick<RequestRecord, 'state'> | null): Array<{ alert: Alert; levelsReached: number[] }> {
  if (!record) return [];
  const s = record.state;
  return requestFacts(record).escalations.map((e) => ({
    alert: {
      escalationId: e.id,
      requestId: s.requestId,
      reference: s.reference,
      level: e.level,
      reason: e.reason,
      unansweredCount: e.unansweredCount,
      raisedAt: e.raisedAt,
      status: e.status,
      teamId: s.teamId,
      notifyRole: e.notifyRole,
    },
    levelsReached: e.levels.map((l) => l.level),
  }));
}

/**
 * Routing: team managers see unresolved escalations of their own team's requests at level 1 and
 * above; service managers level 2 and above; heads of service level 3 and above, whatever the team.
 * A request with no team has no team manager, so its level 1 goes to the service managers (as the
 * notifications do): nobody's escalation waits unseen for an advance.
 */
export function isRoutedTo(alert: Pick<Alert, 'level' | 'teamId' | 'status'>, user: { role: string; teamId?: string | null }): boolean {
  const from = user.role === 'service_manager' && !alert.teamId ? 1 : ALERT_LEVEL_OF_ROLE[user.role];
  if (from === undefined || alert.status === 'resolved' || alert.level < from) return false;
  return user.role !== 'team_manager' || (!!user.teamId && alert.teamId === user.teamId);
}

/**
 * The order of GET /api/alerts as one ascending zset score: highest level first, then oldest
 * (equal scores by escalation id). Epoch ms stay below 10^13 until 2286, so levels never overlap.
 */
export const ALERT_LEVEL_SPAN = 1e13;

export function alertScore(alert: Pick<Alert, 'level' | 'raisedAt'>): number {
  return -alert.level * ALERT_LEVEL_SPAN + Date.parse(alert.raisedAt);
}

/**
 * The routing indexes an alert belongs on, derived from isRoutedTo itself so the two never disagree:
 * its team's (rm:alerts:team:<teamId>, read by that team's managers) and one per service-wide
 * manager role that sees it (rm:alerts:role:<role>). None once resolved.
 */
export function alertRoutingKeys(alert: Pick<Alert, 'level' | 'teamId' | 'status'>): string[] {
  const out: string[] = [];
  for (const role of Object.keys(ALERT_LEVEL_OF_ROLE)) {
    if (role === 'team_manager') {
      if (alert.teamId && isRoutedTo(alert, { role, teamId: alert.teamId })) out.push(keys.teamAlerts(alert.teamId));
    } else if (isRoutedTo(alert, { role, teamId: null })) out.push(keys.roleAlerts(role));
  }
  return out;
}

/** The routing index a user reads (see alertRoutingKeys); null for roles that see no alerts. */
export function alertListKeyOf(user: { role: string; teamId?: string | null }): string | null {
  if (ALERT_LEVEL_OF_ROLE[user.role] === undefined) return null;
  if (user.role === 'team_manager') return user.teamId ? keys.teamAlerts(user.teamId) : null;
  return keys.roleAlerts(user.role);
}
