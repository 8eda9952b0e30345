import { Inject } from '@nestjs/common';
import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { streamIdFor } from '@send/domain';
import type { EventStore } from '@send/event-store';
import { TimelineRepository, toTimelineEntry, type TimelineEntry } from '@send/read-models';
import { EVENT_STORE } from '@send/platform';
import type { AuthUser } from '../auth/roles';
import type { ReadContext } from '../access-log/access-log.port';
import { AccessLog, PAGE_DIRECT, requestRead } from '../access-log/access-log.service';
import { RequestAccess } from './request-access';

export class GetTimelineQuery {
  constructor(
    readonly requestId: string,
    readonly user: AuthUser,
    /** Why-context for the access log (ADR 0014); a page's direct link when the caller names none. */
    readonly how: ReadContext = PAGE_DIRECT,
  ) {}
}

/** A request's history; a member of staff's read is recorded in the access log. */
@QueryHandler(GetTimelineQuery)
export class GetTimelineHandler implements IQueryHandler<GetTimelineQuery, TimelineEntry[]> {
  constructor(
    private readonly access: RequestAccess,
    private readonly timelines: TimelineRepository,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly accessLog: AccessLog,
  ) {}

  async execute({ requestId, user, how }: GetTimelineQuery): Promise<TimelineEntry[]> {
    const { view } = await this.access.visible(requestId, user);
    const timeline = await this.entries(requestId);
    await this.accessLog.recordReads(user, [requestRead('timeline', view)], how);
    return timeline;
  }

  private async entries(requestId: string): Promise<TimelineEntry[]> {
    const projected = await this.timelines.get(requestId);
    if (projected.length > 0) return projected;
    // Not projected yet (the worker runs a few ms behind): the same entries from the stream.
    return (await this.store.read(streamIdFor(requestId))).map(toTimelineEntry);
  }
}
