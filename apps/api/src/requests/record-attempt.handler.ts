import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import type { z } from 'zod';
import type { RequestView } from '@send/read-models';
import { isStaff } from '../auth/roles';
import type { recordAttemptSchema } from './dto/request-actions.dto';
import { RequestCommands, type RequestCommandContext } from './request-commands';

export class RecordAttemptCommand {
  constructor(
    readonly requestId: string,
    readonly input: z.infer<typeof recordAttemptSchema>,
    readonly ctx: RequestCommandContext,
  ) {}
}

/** The family tried again (on the portal), or an officer logs an inbound call nobody answered. */
@CommandHandler(RecordAttemptCommand)
export class RecordAttemptHandler implements ICommandHandler<RecordAttemptCommand, { attemptId: string; request: RequestView }> {
  constructor(private readonly requests: RequestCommands) {}

  async execute({ requestId, input, ctx }: RecordAttemptCommand) {
    const attemptId = this.requests.newId(ctx, requestId, 'attempt');
    const request = await this.requests.run(
      requestId,
      {
        type: 'RecordAttempt',
        requestId,
        attemptId,
        channel: input.channel,
        outcome: input.outcome,
        at: input.at,
        source: isStaff(ctx.actor) ? 'officer' : 'portal',
        by: ctx.actor.id,
      },
      ctx,
    );
    return { attemptId, request };
  }
}
