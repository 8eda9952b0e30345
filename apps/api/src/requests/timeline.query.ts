import { Inject } from '@nestjs/common';
import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { streamIdFor } from '@send/domain';
import type { EventStore } from '@send/event-store';
import { TimelineRepository, toTimelineEntry, type TimelineEntry } from '@send/read-models';
import { EVENT_STORE } from '@send/platform';
import type { AuthUser } from '../auth/roles';
import { RequestAccess } from './request-access';

export class GetTimelineQuery {
  constructor(
    readonly requestId: string,
    readonly user: AuthUser,
  ) {}
}

@QueryHandler(GetTimelineQuery)
export class GetTimelineHandler implements IQueryHandler<GetTimelineQuery, TimelineEntry[]> {
  constructor(
    private readonly access: RequestAccess,
    private readonly timelines: TimelineRepository,
    @Inject(EVENT_STORE) private readonly store: EventStore,
  ) {}

  async execute({ requestId, user }: GetTimelineQuery): Promise<TimelineEntry[]> {
    await this.access.visible(requestId, user);
    const projected = await this.timelines.get(requestId);
    if (projected.length > 0) return projected;
    // Not projected yet (the worker runs a few ms behind): the same entries from the stream.
    return (await this.store.read(streamIdFor(requestId))).map(toTimelineEntry);
  }
}
