import { Inject, Injectable } from '@nestjs/common';
import { caseStreamId, foldCase, isCaseRef, type CaseState } from '@send/domain';
import type { EventStore } from '@send/event-store';
import { CasesRepository } from '@send/read-models';
import { EVENT_STORE } from '@send/platform';
import { notFound } from '../common/problem';
import { CASE_CONTENT_ROLES, type AuthUser } from '../auth/roles';

/**
 * Which staff may read a case (shared API.md, "Cases and routing"): service managers and the head
 * any; officers their team's and those they are case officer of; team managers their team's; administrators any (they run the import), but
 * without its requests (ADR 0006). Requesters read their cases through GET /api/me/cases.
 */
export const mayReadCase = (user: AuthUser, state: CaseState): boolean => {
  switch (user.role) {
    case 'service_manager':
    case 'head_of_service':
    case 'admin':
      return true;
    case 'officer':
      // Their team's cases, and their own (a case officer covering another team's case).
      return (user.teamId !== null && user.teamId === state.teamId) || state.caseOfficerId === user.id;
    case 'team_manager':
      return user.teamId !== null && user.teamId === state.teamId;
    default:
      return false;
  }
};

/** May this reader see the case's requests (request content)? Administrators read none. */
export const mayReadCaseRequests = (user: AuthUser): boolean => (CASE_CONTENT_ROLES as readonly string[]).includes(user.role);

@Injectable()
export class CaseAccess {
  constructor(
    private readonly cases: CasesRepository,
    @Inject(EVENT_STORE) private readonly store: EventStore,
  ) {}

  /** The case if the user may read it, else 404 (whether it exists is private). */
  async readable(caseRef: string, user: AuthUser): Promise<CaseState> {
    const state = isCaseRef(caseRef) ? ((await this.cases.get(caseRef)) ?? (await this.fold(caseRef))) : null;
    if (!state || !mayReadCase(user, state)) throw notFound(`No case ${caseRef} that you can see.`);
    return state;
  }

  /** Straight from the stream: a case written a moment ago that the projection has not reached yet. */
  private async fold(caseRef: string): Promise<CaseState | null> {
    return foldCase(await this.store.read(caseStreamId(caseRef)));
  }
}
