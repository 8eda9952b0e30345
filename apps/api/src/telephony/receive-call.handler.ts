import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { awaitsFiling, toE164 } from '@send/domain';
import { CallCommands } from './call-commands';
import { CallFiling, TELEPHONY_ACTOR } from './call-filing';
import type { CallAnswer, CallInput } from './dto/telephony.dto';

export class ReceiveCallCommand {
  constructor(
    readonly call: CallInput,
    readonly correlationId: string,
  ) {}
}

/**
 * A call the telephony system reports (signature already checked). The call stream decides what is
 * new: a callId already there answers `duplicate`, unless its filing never finished (a crash or a
 * failure between steps), which this call then finishes.
 */
@CommandHandler(ReceiveCallCommand)
export class ReceiveCallHandler implements ICommandHandler<ReceiveCallCommand, CallAnswer> {
  constructor(
    private readonly calls: CallCommands,
    private readonly filing: CallFiling,
  ) {}

  async execute({ call, correlationId }: ReceiveCallCommand): Promise<CallAnswer> {
    const ctx = { actor: { id: TELEPHONY_ACTOR.id, role: TELEPHONY_ACTOR.role }, correlationId };
    const { appended, state } = await this.calls.run(call.callId, { type: 'ReceiveCall', call, e164: toE164(call.from) }, ctx);
    if (!awaitsFiling(state)) return { recorded: appended && state.status === 'answered' ? 'answered' : 'duplicate' };
    const filed = await this.filing.file(state, TELEPHONY_ACTOR.id, correlationId);
    return filed.recorded === 'unmatched' ? { recorded: 'unmatched' } : { recorded: filed.recorded, requestId: filed.requestId };
  }
}
