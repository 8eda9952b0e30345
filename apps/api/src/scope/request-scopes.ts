import { Global, Injectable, Module } from '@nestjs/common';
import { CasesRepository } from '@send/read-models';
import type { AuthUser } from '../auth/roles';
import { needsLinkedCases, scopeOf, type RequestScope } from './request-scope';

/** The caller's RequestScope: for a family or school, with the cases they are a contact of (one Redis read). */
@Injectable()
export class RequestScopes {
  constructor(private readonly cases: CasesRepository) {}

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
