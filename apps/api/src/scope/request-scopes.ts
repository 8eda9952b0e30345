import { Global, Injectable, Module } from '@nestjs/common';
import { CasesRepository } from '@send/read-models';
import type { AuthUser } from '../auth/roles';
import { inScope, needsLinkedCases, scopeOf, type RequestScope, type ScopedState } from './request-scope';

/** The caller's RequestScope: for a family or school, with the cases they are a contact of (one Redis read). */
@Injectable()
export class RequestScopes {
  constructor(private readonly cases: CasesRepository) {}

  /** The scope without a family's linked cases: all of it for staff, and enough for a family's own requests. */
  withoutCases(user: AuthUser): RequestScope {
    return scopeOf(user);
  }

  /** May this user see this request? Tries the scope without linked cases first (no read). */
  async allows(user: AuthUser, state: ScopedState): Promise<boolean> {
    if (inScope(scopeOf(user), state)) return true;
    return needsLinkedCases(user) && state.caseRef !== '' && inScope(await this.of(user), state);
  }

  async of(user: AuthUser): Promise<RequestScope> {
    if (!needsLinkedCases(user)) return scopeOf(user);
    const linked = await this.cases.casesOfUser(user);
    return scopeOf(
      user,
      linked.map((c) => c.caseRef),
    );
  }
}

@Global()
@Module({ providers: [RequestScopes], exports: [RequestScopes] })
export class ScopeModule {}
