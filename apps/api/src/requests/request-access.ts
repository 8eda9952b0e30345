import { Inject, Injectable } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import { foldStored, isSubmitted, streamIdFor, toView, type ContactRequestState, type RequestView } from '@send/domain';
import type { EventStore } from '@send/event-store';
import { RequestViewsRepository, UsersRepository, type RequestRecord } from '@send/read-models';
import { EVENT_STORE } from '@send/platform';
import { notFound } from '../common/problem';
import type { AuthUser } from '../auth/roles';
import { RequestScopes } from '../scope/request-scopes';

/** Request ids are UUIDs: anything else names no request, and is answered without a read. */
export const isRequestId = (id: string): boolean => /^[0-9a-f-]{36}$/i.test(id);

/** The answer for a request outside the caller's scope: 404, as for one that does not exist (existence is private). */
export const noSuchRequest = (requestId: string) => notFound(`No request ${requestId} that you can see.`);

/** Finds a request the caller may see (RequestScopes), or answers 404. */
@Injectable()
export class RequestAccess {
  constructor(
    private readonly views: RequestViewsRepository,
    private readonly users: UsersRepository,
    private readonly scopes: RequestScopes,
    @Inject(EVENT_STORE) private readonly store: EventStore,
  ) {}

  async visible(requestId: string, user: AuthUser): Promise<RequestRecord> {
    const record = (await this.views.get(requestId)) ?? (await this.fold(requestId));
    if (!record || !(await this.scopes.allows(user, record.state))) throw noSuchRequest(requestId);
    return record;
  }

  /** The request folded straight from its stream: for a request the projection has not reached yet (it runs milliseconds behind). */
  private async fold(requestId: string): Promise<RequestRecord | null> {
    if (!isRequestId(requestId)) return null;
    const state = foldStored(await this.store.read(streamIdFor(requestId)));
    return isSubmitted(state) ? { state, view: await this.viewOf(state) } : null;
  }

  /**
   * Officers' names, kept a few seconds: every command's answer names the assignee, and a Redis read
   * per command for a name that changes once in a career is the command path's one avoidable round trip.
   */
  private readonly names = new LRUCache<string, { name: string }>({ max: 1_000, ttl: 5_000, ttlResolution: 0 });

  /** The view as the projection stores it: the domain's toView, with the assignee's name from the users read model. */
  viewOf(state: ContactRequestState): RequestView | Promise<RequestView> {
    if (!state.assignee) return toView(state, { assigneeName: null });
    const officerId = state.assignee.officerId;
    const kept = this.names.get(officerId);
    // At once when the name is known (no promise): the command path answers with this view.
    if (kept) return toView(state, { assigneeName: kept.name });
    return this.users.get(officerId).then((user) => {
      const name = user?.name ?? null;
      // An officer the users read model has not reached yet is looked up again next time.
      if (name !== null) this.names.set(officerId, { name });
      return toView(state, { assigneeName: name });
    });
  }
}
