import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import type { z } from 'zod';
import type { RequestView } from '@send/read-models';
import type { prioritySchema, reopenSchema, resolveSchema } from './dto/request-actions.dto';
import { RequestCommands, type RequestCommandContext } from './request-commands';
import { needsLinkedCases } from '../scope/request-scope';

export class ResolveRequestCommand {
  constructor(
    readonly requestId: string,
    readonly input: z.infer<typeof resolveSchema>,
    readonly ctx: RequestCommandContext,
  ) {}
}

/** Resolves a request; one that never had a reply needs a reason from the closed list (withoutReply). */
@CommandHandler(ResolveRequestCommand)
export class ResolveRequestHandler implements ICommandHandler<ResolveRequestCommand, RequestView> {
  constructor(private readonly requests: RequestCommands) {}

  execute({ requestId, input, ctx }: ResolveRequestCommand) {
    return this.requests.run(
      requestId,
      { type: 'ResolveRequest', requestId, by: ctx.actor.id, outcome: input.outcome, withoutReply: input.withoutReply },
      ctx,
    );
  }
}

export class ReopenRequestCommand {
  constructor(
    readonly requestId: string,
    readonly input: z.infer<typeof reopenSchema>,
    readonly ctx: RequestCommandContext,
  ) {}
}

/** The family reopens within sla.reopenWithin of resolution; staff in scope at any time. Clocks start again. */
@CommandHandler(ReopenRequestCommand)
export class ReopenRequestHandler implements ICommandHandler<ReopenRequestCommand, RequestView> {
  constructor(private readonly requests: RequestCommands) {}

  execute({ requestId, input, ctx }: ReopenRequestCommand) {
    const byRequester = needsLinkedCases(ctx.actor); // a family or school, not staff
    return this.requests.run(requestId, { type: 'ReopenRequest', requestId, by: ctx.actor.id, reason: input.reason, byRequester }, ctx);
  }
}

export class SetPriorityCommand {
  constructor(
    readonly requestId: string,
    readonly input: z.infer<typeof prioritySchema>,
    readonly ctx: RequestCommandContext,
  ) {}
}

/** Staff set the priority that drives the clocks (a requester's urgent flag is only a flag). */
@CommandHandler(SetPriorityCommand)
export class SetPriorityHandler implements ICommandHandler<SetPriorityCommand, RequestView> {
  constructor(private readonly requests: RequestCommands) {}

  execute({ requestId, input, ctx }: SetPriorityCommand) {
    return this.requests.run(requestId, { type: 'SetPriority', requestId, priority: input.priority, by: ctx.actor.id }, ctx);
  }
}
