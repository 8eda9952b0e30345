import { Inject, Injectable } from '@nestjs/common';
import { callDecider, callStreamId, type CallCommand, type CallEvent, type CallFold, type CallState } from '@send/domain';
import { DeciderCommandHandler, type EventStore } from '@send/event-store';
import { Clock, EVENT_STORE } from '@send/platform';

export interface CallCommandContext {
  actor: { id: string; role: string };
  correlationId: string;
}

export interface CallCommandResult {
  /** True when this command appended (false: a repeat, the stream already said so). */
  appended: boolean;
  state: CallState;
}

/**
 * Every command on a call stream goes through here: the domain's callDecider on
 * telephony-call-<callId>. No kept state: whether a callId was seen is decided by reading its
 * stream, so it holds across restarts and api processes, and a concurrent twin of the same call
 * meets the append's expected revision and redecides to nothing.
 */
@Injectable()
export class CallCommands {
  private readonly handler: DeciderCommandHandler<CallCommand, CallEvent, CallFold, { now: Date }>;

  constructor(
    @Inject(EVENT_STORE) store: EventStore,
    private readonly clock: Clock,
  ) {
    this.handler = new DeciderCommandHandler<CallCommand, CallEvent, CallFold, { now: Date }>({
      store,
      decider: callDecider,
      streamIdFor: callStreamId,
    });
  }

  async run(callId: string, command: CallCommand, ctx: CallCommandContext): Promise<CallCommandResult> {
    const result = await this.handler.handle(
      callId,
      command,
      { now: this.clock.now() },
      { metadata: { correlationId: ctx.correlationId, causationId: ctx.correlationId, actor: ctx.actor } },
    );
    return { appended: result.events.length > 0, state: result.state! };
  }
}
