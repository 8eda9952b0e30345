import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { RequestViewsRepository, type Page, type PageRequest, type RequestView } from '@send/read-models';
import { isStaff, type AuthUser } from '../auth/roles';
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
 * One page of the requests the user may list, newest first. status and caseRef filter the page after
 * it is read, so a filtered page can hold fewer than `limit` (even none) while the cursor still
 * points on: the read stays O(page) with no index per status or case to keep in step.
 */
@QueryHandler(ListRequestsQuery)
export class ListRequestsHandler implements IQueryHandler<ListRequestsQuery, Page<RequestView>> {
  constructor(private readonly views: RequestViewsRepository) {}

  async execute({ user, filter, page }: ListRequestsQuery): Promise<Page<RequestView>> {
    const records = isStaff(user) ? await this.views.pageAll(page) : await this.views.pageForRequester(user.id, page);
    return {
      items: records.items
        .map((r) => r.view)
        .filter((v) => (!filter.status || v.status === filter.status) && (!filter.caseRef || v.caseRef === filter.caseRef)),
      next: records.next,
    };
  }
}
