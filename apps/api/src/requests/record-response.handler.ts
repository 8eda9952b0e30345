import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import type { z } from 'zod';
import type { RequestView } from '@send/read-models';
import type { recordResponseSchema } from './dto/request-actions.dto';
import { RequestCommands, type RequestCommandContext } from './request-commands';

export class RecordResponseCommand {
  constructor(
    readonly requestId: string,
    readonly input: z.infer<typeof recordResponseSchema>,
    readonly ctx: RequestCommandContext,
  ) {}
}

/**
 * An officer replied: stops the first-response clock and clears unanswered attempts. A full reply
 * resolves an open escalation; a holding reply starts the update clock and leaves it open.
 */
@CommandHandler(RecordResponseCommand)
export class RecordResponseHandler implements ICommandHandler<RecordResponseCommand, { responseId: string; request: RequestView }> {
  constructor(private readonly requests: RequestCommands) {}

  async execute({ requestId, input, ctx }: RecordResponseCommand) {
    const responseId = this.requests.newId(ctx, requestId, 'response');
    const request = await this.requests.run(
      requestId,
      {
        type: 'RecordResponse',
        requestId,
        responseId,
        officerId: ctx.actor.id,
        channel: input.channel,
        summary: input.summary,
        kind: input.kind,
        at: input.at,
      },
      ctx,
    );
    return { responseId, request };
  }
}
