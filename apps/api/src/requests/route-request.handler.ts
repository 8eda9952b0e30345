import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import type { RequestView } from '@send/read-models';
import { Clock } from '@send/platform';
import { notFound } from '../common/problem';
import { RequestCommands, type RequestCommandContext } from './request-commands';
import { RequestRouting } from './request-routing';

export class RouteRequestCommand {
  constructor(
    readonly requestId: string,
    readonly target: { caseRef: string } | { teamId: string },
    readonly ctx: RequestCommandContext,
  ) {}
}

/**
 * Staff send a request to a case (it takes the case's team and officer, or waits needing cover) or
 * to a team: from triage, or away from where routing put it. The request must be in the caller's
 * scope; where it goes need not be (an officer may pass a triaged request to another team).
 */
@CommandHandler(RouteRequestCommand)
export class RouteRequestHandler implements ICommandHandler<RouteRequestCommand, RequestView> {
  constructor(
    private readonly requests: RequestCommands,
    private readonly routing: RequestRouting,
    private readonly clock: Clock,
  ) {}

  async execute({ requestId, target, ctx }: RouteRequestCommand): Promise<RequestView> {
    const routing = await this.routing.reroute(target, this.clock.now());
    if (!routing) throw notFound(`No open case ${(target as { caseRef: string }).caseRef}.`);
    return this.requests.run(requestId, { type: 'RouteRequest', requestId, routing, by: ctx.actor.id }, ctx);
  }
}
