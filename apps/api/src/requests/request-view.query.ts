import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { RequestViewsRepository, type Page, type PageRequest, type RequestView } from '@send/read-models';
import type { AuthUser } from '../auth/roles';
import type { ReadContext } from '../access-log/access-log.port';
import { AccessLog, listContext, PAGE_DIRECT, requestRead } from '../access-log/access-log.service';
import { RequestScopes } from '../scope/request-scopes';
import { inScope, scopeListKeys } from '../scope/request-scope';
import { RequestAccess } from './request-access';

/** `how`: why-context for the access log (ADR 0014); a page's direct link when the caller names none. */
export class GetRequestViewQuery {
  constructor(
    readonly requestId: string,
    readonly user: AuthUser,
    readonly how: ReadContext = PAGE_DIRECT,
  ) {}
}

/** One request the caller may see; a member of staff's read is recorded in the access log. */
@QueryHandler(GetRequestViewQuery)
export class GetRequestViewHandler implements IQueryHandler<GetRequestViewQuery, RequestView> {
  constructor(
    private readonly access: RequestAccess,
    private readonly accessLog: AccessLog,
  ) {}

  async execute({ requestId, user, how }: GetRequestViewQuery): Promise<RequestView> {
    const { view } = await this.access.visible(requestId, user);
    await this.accessLog.recordReads(user, [requestRead('request', view)], how);
    return view;
  }
}

/** `how`: why-context for the access log; a page's list (or search, when filtered) when the caller names none. */
export class ListRequestsQuery {
  constructor(
    readonly user: AuthUser,
    readonly filter: { status?: string; caseRef?: string },
    readonly page: PageRequest = { limit: 100 },
    readonly how: ReadContext = listContext(filter, 'page'),
  ) {}
}

/**
 * One page of the requests in the caller's scope, newest first: the union of the few lists the scope
 * is made of (a team's, triage, the caller's own, their cases'), each read from the same cursor, so
 * the read stays O(page). `caseRef` reads that case's list instead, filtered by the scope. `status`
 * filters the page after it is read, so a filtered page can hold fewer than `limit` (even none) while
 * the cursor still points on: no index per status to keep in step. Each request shown to a member of
 * staff is an access log entry.
 */
@QueryHandler(ListRequestsQuery)
export class ListRequestsHandler implements IQueryHandler<ListRequestsQuery, Page<RequestView>> {
  constructor(
    private readonly views: RequestViewsRepository,
    private readonly scopes: RequestScopes,
    private readonly accessLog: AccessLog,
  ) {}

  async execute({ user, filter, page, how }: ListRequestsQuery): Promise<Page<RequestView>> {
    const scope = await this.scopes.of(user);
    const records = filter.caseRef
      ? await this.views.pageForCase(filter.caseRef, page)
      : await this.views.pageOfUnion(scopeListKeys(scope), page);
    const items = records.items
      .filter((r) => inScope(scope, r.state) && (!filter.status || r.state.status === filter.status))
      .map((r) => r.view);
    await this.accessLog.recordReads(
      user,
      items.map((v) => requestRead('request', v)),
      how,
    );
    return { items, next: records.next };
  }
}
