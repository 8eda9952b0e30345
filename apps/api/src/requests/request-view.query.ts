import { Inject } from '@nestjs/common';
import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { streamIdFor } from '@send/domain';
import type { EventStore } from '@send/event-store';
import { applyToRequestRecord, RequestViewsRepository, type RequestRecord, type RequestView } from '@send/read-models';
import { EVENT_STORE } from '@send/platform';
import { notFound } from '../common/problem';
import { isStaff, type AuthUser } from '../auth/roles';

export class GetRequestViewQuery {
  constructor(
    readonly requestId: string,
    readonly user: AuthUser,
  ) {}
}

/** Staff see any request in the service; a requester sees only their own (others get 404: existence is private). */
export const maySee = (user: AuthUser, record: RequestRecord) => isStaff(user) || record.requesterUserId === user.id;

@QueryHandler(GetRequestViewQuery)
export class GetRequestViewHandler implements IQueryHandler<GetRequestViewQuery, RequestView> {
  constructor(
    private readonly views: RequestViewsRepository,
    @Inject(EVENT_STORE) private readonly store: EventStore,
  ) {}

  async execute({ requestId, user }: GetRequestViewQuery): Promise<RequestView> {
    const record = (await this.views.get(requestId)) ?? (await this.fromEventStore(requestId));
    if (!record || !maySee(user, record)) throw notFound(`No request ${requestId} that you can see.`);
    return record.view;
  }

  /**
   * The projection runs a few milliseconds behind the append; a request just submitted is folded
   * from its own stream instead, so its submitter never sees a 404 for it.
   */
  private async fromEventStore(requestId: string): Promise<RequestRecord | null> {
    if (!/^[0-9a-f-]{36}$/i.test(requestId)) return null;
    const events = await this.store.read(streamIdFor(requestId));
    return events.reduce<RequestRecord | null>((r, e) => applyToRequestRecord(r, e), null);
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
