import { Injectable } from '@nestjs/common';
import { rerouteTo, routeRequest, type RoutableCase, type Routing } from '@send/domain';
import { CasesRepository, UsersRepository } from '@send/read-models';

/**
 * Looks up what routing needs (the named case, the requester's linked cases, whether their officers
 * are away) and asks the domain's routeRequest. Cases and availability come from the read models:
 * a case imported a moment ago may not be there yet, and the request then goes to triage, where staff
 * re-route it.
 */
@Injectable()
export class RequestRouting {
  constructor(
    private readonly cases: CasesRepository,
    private readonly users: UsersRepository,
  ) {}

  async atSubmission(input: {
    requestedCaseRef: string | null;
    requester: { userId?: string; email: string };
    onBehalf: boolean;
    now: Date;
  }): Promise<Routing> {
    const requestedCaseRef = input.requestedCaseRef?.trim() || null;
    const { userId, email } = input.requester;
    const [namedCase, linkedCases] = await Promise.all([
      requestedCaseRef ? this.cases.get(requestedCaseRef) : Promise.resolve(null),
      userId || email ? this.cases.casesOfUser({ id: userId ?? '', email }) : Promise.resolve([]),
    ]);
    const candidates = [...(namedCase ? [namedCase] : []), ...linkedCases];
    const isAway = await this.awayAmong(candidates, input.now);
    return routeRequest({ requestedCaseRef, namedCase, linkedCases, onBehalf: input.onBehalf, isAway });
  }

  /** Where staff send a request: a case (its team and officer) or a team; null when the case does not exist. */
  async reroute(target: { caseRef: string } | { teamId: string }, now: Date): Promise<Routing | null> {
    if ('teamId' in target) return rerouteTo(target, () => false);
    const found = await this.cases.get(target.caseRef);
    if (!found || found.status !== 'open') return null;
    return rerouteTo({ case: found }, await this.awayAmong([found], now));
  }

  private async awayAmong(cases: readonly RoutableCase[], now: Date): Promise<(officerId: string) => boolean> {
    const away = await this.users.awayAmong(
      cases.map((c) => c.caseOfficerId),
      now,
    );
    return (officerId) => away.has(officerId);
  }
}
