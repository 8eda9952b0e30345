import { Inject, Injectable } from '@nestjs/common';
import { streamIdFor } from '@send/domain';
import type { EventStore } from '@send/event-store';
import { applyToRequestRecord, RequestViewsRepository, type RequestRecord } from '@send/read-models';
import { EVENT_STORE } from '@send/platform';
import { notFound } from '../common/problem';
import { isStaff, type AuthUser } from '../auth/roles';

/** Staff see any request in the service; a requester sees only their own (others get 404: existence is private). */
export const maySee = (user: AuthUser, record: RequestRecord) => isStaff(user) || record.requesterUserId === user.id;

/** Finds a request the caller may see, or answers 404. */
@Injectable()
export class RequestAccess {
  constructor(
    private readonly views: RequestViewsRepository,
    @Inject(EVENT_STORE) private readonly store: EventStore,
  ) {}

  async visible(requestId: string, user: AuthUser): Promise<RequestRecord> {
    const record = (await this.views.get(requestId)) ?? (await this.fold(requestId));
    if (!record || !maySee(user, record)) throw notFound(`No request ${requestId} that you can see.`);
    return record;
  }

  /**
   * The request folded straight from its stream: for a request the projection has not reached yet
   * (it runs milliseconds behind), and for answers that must include the command just applied.
   */
  async fold(requestId: string): Promise<RequestRecord | null> {
    if (!/^[0-9a-f-]{36}$/i.test(requestId)) return null;
    const events = await this.store.read(streamIdFor(requestId));
    return events.reduce<RequestRecord | null>((r, e) => applyToRequestRecord(r, e), null);
  }
}
