import { Inject } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { foldUserAccount, userStreamId } from '@send/domain';
import type { EventStore } from '@send/event-store';
import type { RequestView } from '@send/read-models';
import { EVENT_STORE } from '@send/platform';
import { forbidden, problem, ProblemException } from '../common/problem';
import { RequestCommands, type RequestCommandContext } from './request-commands';

export class AssignRequestCommand {
  constructor(
    readonly requestId: string,
    readonly officerId: string,
    readonly ctx: RequestCommandContext,
  ) {}
}

/**
 * An officer claims a request, or a manager assigns it. The request joins the officer's team.
 * Officers may only claim for themselves; team managers assign within their own team.
 */
@CommandHandler(AssignRequestCommand)
export class AssignRequestHandler implements ICommandHandler<AssignRequestCommand, RequestView> {
  constructor(
    private readonly requests: RequestCommands,
    @Inject(EVENT_STORE) private readonly store: EventStore,
  ) {}

  async execute({ requestId, officerId, ctx }: AssignRequestCommand) {
    const { actor } = ctx;
    if (actor.role === 'officer' && officerId !== actor.id)
      throw forbidden('Officers claim requests for themselves; a manager assigns them to others.');
    const officer = foldUserAccount(await this.store.read(userStreamId(officerId)));
    if (!officer || officer.role !== 'officer' || !officer.teamId) {
      throw new ProblemException(
        problem(422, 'not-an-officer', `${officerId} is not an officer in a team.`, {
          errors: [{ field: 'officerId', message: 'is not an officer in a team' }],
        }),
      );
    }
    if (actor.role === 'team_manager' && officer.teamId !== actor.teamId)
      throw forbidden(`You manage team ${actor.teamId}; ${officer.name} is in team ${officer.teamId}.`);
    return this.requests.run(requestId, { type: 'AssignRequest', requestId, officerId, teamId: officer.teamId, by: actor.id }, ctx);
  }
}
