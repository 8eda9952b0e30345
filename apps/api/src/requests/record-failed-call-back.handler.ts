import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import type { z } from 'zod';
import type { RequestView } from '@send/read-models';
import type { callBackFailedSchema } from './dto/request-actions.dto';
import { RequestCommands, type RequestCommandContext } from './request-commands';

export class RecordFailedCallBackCommand {
  constructor(
    readonly requestId: string,
    readonly input: z.infer<typeof callBackFailedSchema>,
    readonly ctx: RequestCommandContext,
  ) {}
}

/** The officer tried to call back and could not get through: effort on record, not a response. */
@CommandHandler(RecordFailedCallBackCommand)
export class RecordFailedCallBackHandler implements ICommandHandler<RecordFailedCallBackCommand, RequestView> {
  constructor(private readonly requests: RequestCommands) {}

  execute({ requestId, input, ctx }: RecordFailedCallBackCommand) {
    return this.requests.run(requestId, { type: 'RecordFailedCallBack', requestId, officerId: ctx.actor.id, at: input.at }, ctx);
  }
}
