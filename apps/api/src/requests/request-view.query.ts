import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { RequestViewsRepository, type Page, type PageRequest, type RequestView } from '@send/read-models';
import type { AuthUser } from '../auth/roles';
import { RequestScopes } from '../scope/request-scopes';
import { inScope, scopeListKeys } from '../scope/request-scope';
import { RequestAccess } from './request-access';

export class GetRequestViewQuery {
  constructor(
    readonly requestId: string,
    readonly user: AuthUser,
  ) {}
}

@QueryHandler(GetRequestViewQuery)
export class GetRequestViewHandler implements IQueryHandler<GetRequestViewQuery, RequestView> {
  constructor(private readonly access: RequestAccess) {}

  async execute({ requestId, user }: GetRequestViewQuery): Promise<RequestView> {
    return (await this.access.visible(requestId, user)).view;
  }
}

export class ListRequestsQuery {
  constructor(
    readonly user: AuthUser,
    readonly filter: { status?: string; caseRef?: string },
    readonly page: PageRequest = { limit: 100 },
  ) {}
}

/**
 * One page of the requests in the caller's scope, newest first: the union of the few lists the scope
 * is made of (a team's, triage, the caller's own, their cases'), each read from the same cursor, so
 * the read stays O(page). `caseRef` reads that case's list instead, filtered by the scope. `status`
 * filters the page after it is read, so a filtered page can hold fewer than `limit` (even none) while
 * the cursor still points on: no index per status to keep in step.
 */
@QueryHandler(ListRequestsQuery)
export class ListRequestsHandler implements IQueryHandler<ListRequestsQuery, Page<RequestView>> {
  constructor(
    private readonly views: RequestViewsRepository,
    private readonly scopes: RequestScopes,
  ) {}

  async execute({ user, filter, page }: ListRequestsQuery): Promise<Page<RequestView>> {
    const scope = await this.scopes.of(user);
    const records = filter.caseRef
      ? await this.views.pageForCase(filter.caseRef, page)
      : await this.views.pageOfUnion(scopeListKeys(scope), page);
    return {
      items: records.items
        .filter((r) => inScope(scope, r.state) && (!filter.status || r.state.status === filter.status))
        .map((r) => r.view),
      next: records.next,
    };
  }
}
