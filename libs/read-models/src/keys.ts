import { CALL_STREAM_PREFIX, CASE_STREAM_PREFIX, REQUEST_STREAM_PREFIX, USER_STREAM_PREFIX } from '@send/domain';

/** Every Redis key the read models use, in one place, so a rebuild knows what to drop. */
export const READ_MODEL_PREFIX = 'rm:';
export const keys = {
  request: (id: string) => `rm:request:${id}`,
  /** JSON DashboardRow: the few fields of a request the SLA dashboard reads. */
  dashboardRow: (id: string) => `rm:dashboard-row:${id}`,
  requestsByRequester: (userId: string) => `rm:requests:requester:${userId}`,
  allRequests: () => 'rm:requests:all',
  /** The requests filed on a case, by submission time (scope: the case's contacts; GET /api/cases/:ref). */
  requestsByCase: (caseRef: string) => `rm:requests:case:${caseRef}`,
  /** The requests routed to a team, by submission time (scope: its officers and manager). */
  requestsByTeam: (teamId: string) => `rm:requests:team:${teamId}`,
  /** The requests routed to no team, by submission time (scope: every officer and manager). */
  requestsInTriage: () => 'rm:requests:triage',
  /** The requests assigned to an officer now, open or not, by submission time (scope: their own). */
  requestsByAssignee: (officerId: string) => `rm:requests:assignee:${officerId}`,
  /** JSON list of timeline entries, oldest first. */
  timeline: (requestId: string) => `rm:timeline:${requestId}`,
  /** JSON {id, name, email, role, teamId} (never the password hash). */
  user: (id: string) => `rm:user:${id}`,
  usersByRole: (role: string) => `rm:users:role:${role}`,
  usersByTeam: (teamId: string) => `rm:users:team:${teamId}`,
  /** zset of an officer's open requests, scored by queueScore (lowest = most urgent). */
  officerQueue: (officerId: string) => `rm:queue:officer:${officerId}`,
  /** zset of a team's unassigned open requests; requests with no team use teamId 'unrouted'. */
  teamQueue: (teamId: string | null) => `rm:queue:team:${teamId ?? UNROUTED_TEAM}`,
  /** JSON QueueEntry (toQueueEntry): the slim row a queue page shows, for every request in any queue. */
  queueEntry: (requestId: string) => `rm:queue-entry:${requestId}`,
  /** JSON Alert, kept after resolution for history. */
  alert: (escalationId: string) => `rm:alert:${escalationId}`,
  /** zset of open (unresolved) escalation ids scored by raisedAt (ms). */
  openAlerts: () => 'rm:alerts:open',
  /** zset of the open escalation ids a team's managers see, scored by alertScore (highest level, then oldest, first). */
  teamAlerts: (teamId: string) => `rm:alerts:team:${teamId}`,
  /** zset of the open escalation ids a service-wide manager role sees (service_manager, head_of_service), by alertScore. */
  roleAlerts: (role: string) => `rm:alerts:role:${role}`,
  /** set of the escalation ids that ever reached this level (raised at it, or advanced to it): SCARD counts alerts raised. */
  alertsRaised: (level: number) => `rm:alerts:raised:${level}`,
  /** JSON CaseState (the domain's fold of case-<caseRef>). */
  case: (caseRef: string) => `rm:case:${caseRef}`,
  /** sets of caseRefs with a contact of this portal userId / email (lower case) / E.164 phone, whatever the case's status. */
  casesByUser: (userId: string) => `rm:cases:user:${userId}`,
  casesByEmail: (email: string) => `rm:cases:email:${email}`,
  casesByPhone: (e164: string) => `rm:cases:phone:${e164}`,
  /** JSON CallState (the domain's fold of telephony-call-<callId>). */
  telephonyCall: (callId: string) => `rm:telephony:call:${callId}`,
  /** zset of the numbers with unmatched calls, scored by their newest call's start (ms). */
  unmatchedNumbers: () => 'rm:telephony:unmatched',
  /** JSON UnmatchedNumber: one number's unmatched calls, newest first. */
  unmatchedNumber: (number: string) => `rm:telephony:unmatched:${number}`,
  /** The READ_MODEL_VERSION the stored read models were built by (outside rm: so a drop keeps it until rewritten). */
  readModelVersion: () => 'read-models:version',
  checkpoint: (name: string) => `checkpoint:${name}`,
};

export const UNROUTED_TEAM = 'unrouted';

/**
 * Raise when what the projections store changes shape (2: request records keep the domain's state; 3: requests indexed by case, team, triage and assignee;
 * 4: dashboard rows carry channel, attempts, attributed breaches and escalation levels, records the escalation levels;
 * 5: request records store the state and the assignee's name, not the view, which is derived on read;
 * 6: the state keeps a count of attempts and the first unanswered one's instant, not a list of every attempt: ADR 0023).
 * A worker that finds read models of another version drops them and projects again from the start.
 */
export const READ_MODEL_VERSION = 6;

/** The one checkpoint name every read model shares (they are all fed by one Projector). */
export const PROJECTIONS_NAME = 'projections';

/**
 * Streams the read models read: requests, user accounts, cases and telephone calls. The worker's projections subscription
 * filters on these (a constant, so adding a projection of another stream changes one place).
 */
export const PROJECTED_STREAM_PREFIXES: readonly string[] = [
  REQUEST_STREAM_PREFIX,
  USER_STREAM_PREFIX,
  CASE_STREAM_PREFIX,
  CALL_STREAM_PREFIX,
];
