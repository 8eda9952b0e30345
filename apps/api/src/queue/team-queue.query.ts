import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { QueuesRepository, awayOfficersOf, type PageRequest, type QueuePage } from '@send/read-models';
import { Clock } from '@send/platform';
import type { AuthUser } from '../auth/roles';

export class GetTeamQueueQuery {
  constructor(
    readonly user: AuthUser,
    /** The team a service-wide manager asks for; officers and team managers always get their own. */
    readonly teamId: string | undefined,
    readonly page: PageRequest,
  ) {}
}

/**
 * A team's queue: its unassigned requests and its away officers' open ones (needsCover), most urgent
 * first. Officers and team managers work their own team whatever they ask for; service managers and
 * the head of service pick one (none: triage). GET /api/queue/team and the /queue/team page.
 */
@QueryHandler(GetTeamQueueQuery)
export class GetTeamQueueHandler implements IQueryHandler<GetTeamQueueQuery, QueuePage> {
  constructor(
    private readonly queues: QueuesRepository,
    private readonly clock: Clock,
  ) {}

  async execute({ user, teamId, page }: GetTeamQueueQuery): Promise<QueuePage> {
    const team = user.teamId ?? teamId ?? null;
    if (team === null) return this.queues.triagePage(page);
    // One script: the page as it is when nobody is away, the usual answer, and the team's users. Only
    // when somebody is away is the page read again, merged with their queues.
    const first = await this.queues.teamQueuePageAndUsers(team, page);
    const away = awayOfficersOf(first.users, this.clock.now());
    if (away.length === 0) return first.page;
    return this.queues.teamQueuePage(
      team,
      page,
      away.map((u) => u.id),
    );
  }
}
