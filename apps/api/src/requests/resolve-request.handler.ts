import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import type { RequestView } from '@send/read-models';
import { RequestCommands, type RequestCommandContext } from './request-commands';

export class ResolveRequestCommand {
  constructor(
    readonly requestId: string,
    readonly outcome: string,
    readonly ctx: RequestCommandContext,
  ) {}
}

@CommandHandler(ResolveRequestCommand)
export class ResolveRequestHandler implements ICommandHandler<ResolveRequestCommand, RequestView> {
  constructor(private readonly requests: RequestCommands) {}

  execute({ requestId, outcome, ctx }: ResolveRequestCommand) {
    return this.requests.run(requestId, { type: 'ResolveRequest', requestId, by: ctx.actor.id, outcome }, ctx);
  }
}
