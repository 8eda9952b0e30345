import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { QueuesRepository, UsersRepository, type PageRequest, type QueuePage } from '@send/read-models';
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
    private readonly users: UsersRepository,
    private readonly clock: Clock,
  ) {}

  async execute({ user, teamId, page }: GetTeamQueueQuery): Promise<QueuePage> {
    const team = user.teamId ?? teamId ?? null;
    if (team === null) return this.queues.triagePage(page);
    // Asked together (one round trip): who is away, and the page as it is when nobody is, the usual
    // answer. Only when somebody is away is the page read again, merged with their queues.
    const [away, own] = await Promise.all([this.users.awayInTeam(team, this.clock.now()), this.queues.teamQueuePage(team, page)]);
    if (away.length === 0) return own;
    return this.queues.teamQueuePage(
      team,
      page,
      away.map((u) => u.id),
    );
  }
}
