import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { RequestViewsRepository, type RequestView } from '@send/read-models';
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
  ) {}
}

@QueryHandler(ListRequestsQuery)
export class ListRequestsHandler implements IQueryHandler<ListRequestsQuery, RequestView[]> {
  constructor(private readonly views: RequestViewsRepository) {}

  async execute({ user, filter }: ListRequestsQuery): Promise<RequestView[]> {
    const records = isStaff(user) ? await this.views.listAll() : await this.views.listForRequester(user.id);
    return records
      .map((r) => r.view)
      .filter((v) => (!filter.status || v.status === filter.status) && (!filter.caseRef || v.caseRef === filter.caseRef));
  }
}
