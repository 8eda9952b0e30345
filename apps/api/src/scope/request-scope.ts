/**
 * Who may read and act on which requests (shared API.md, "Who sees and does what"), in one place:
 * every route, the command guard, lists, queues, the timeline and the dashboard ask this. Reads and
 * writes use the same scope; which actions a role may take is the route's @Roles.
 *
 * | role                              | requests                                                   |
 * | parent, school, professional      | those they submitted, and those on their linked cases      |
 * | officer                           | their team's, those assigned to them, triage               |
 * | team_manager                      | their team's, triage                                       |
 * | service_manager, head_of_service  | all                                                        |
 * | admin, dpo (and any other role)   | none                                                       |
 *
 * Pure: the caller looks up the requester's linked cases (RequestScopes does).
 */
import type { ContactRequestState } from '@send/domain';
import { keys } from '@send/read-models';
import type { AuthUser } from '../auth/roles';

export type RequestScope = { kind: 'all' } | SomeRequests;
export interface SomeRequests {
  kind: 'some';
  /** Requests routed to this team. */
  teamId: string | null;
  /** Requests routed to no team. */
  triage: boolean;
  /** Requests assigned to this officer. */
  assigneeId: string | null;
  /** Requests this portal user submitted. */
  requesterUserId: string | null;
  /** Requests filed on these cases (the requester's linked cases). */
  caseRefs: readonly string[];
}

const NOTHING: SomeRequests = { kind: 'some', teamId: null, triage: false, assigneeId: null, requesterUserId: null, caseRefs: [] };

export const REQUESTER_SCOPE_ROLES = ['parent', 'school', 'professional'] as const;
export const needsLinkedCases = (user: AuthUser): boolean => (REQUESTER_SCOPE_ROLES as readonly string[]).includes(user.role);

export function scopeOf(user: AuthUser, linkedCaseRefs: readonly string[] = []): RequestScope {
  switch (user.role) {
    case 'system':
    case 'service_manager':
    case 'head_of_service':
      return { kind: 'all' };
    case 'officer':
      return { ...NOTHING, teamId: user.teamId, triage: true, assigneeId: user.id };
    case 'team_manager':
      return { ...NOTHING, teamId: user.teamId, triage: true };
    case 'parent':
    case 'school':
    case 'professional':
      return { ...NOTHING, requesterUserId: user.id, caseRefs: linkedCaseRefs };
    default:
      return NOTHING;
  }
}

/** What the scope looks at on a request. */
export type ScopedState = Pick<ContactRequestState, 'teamId' | 'assignee' | 'requester' | 'caseRef'>;

export function inScope(scope: RequestScope, s: ScopedState): boolean {
  if (scope.kind === 'all') return true;
  return (
    (scope.teamId !== null && s.teamId === scope.teamId) ||
    (scope.triage && s.teamId === null) ||
    (scope.assigneeId !== null && s.assignee?.officerId === scope.assigneeId) ||
    (scope.requesterUserId !== null && s.requester.userId === scope.requesterUserId) ||
    (s.caseRef !== '' && scope.caseRefs.includes(s.caseRef))
  );
}

/** The request lists (read-model zsets) whose union is the scope: what GET /api/requests pages through. */
export function scopeListKeys(scope: RequestScope): string[] {
  if (scope.kind === 'all') return [keys.allRequests()];
  return [
    ...(scope.teamId !== null ? [keys.requestsByTeam(scope.teamId)] : []),
    ...(scope.triage ? [keys.requestsInTriage()] : []),
    ...(scope.assigneeId !== null ? [keys.requestsByAssignee(scope.assigneeId)] : []),
    ...(scope.requesterUserId !== null ? [keys.requestsByRequester(scope.requesterUserId)] : []),
    ...scope.caseRefs.map(keys.requestsByCase),
  ];
}
