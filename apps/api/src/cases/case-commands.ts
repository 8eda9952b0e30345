import { Inject, Injectable } from '@nestjs/common';
import { caseDecider, caseStreamId, InvalidCommand, type CaseCommand, type CaseEvent, type CaseFold, type CaseState } from '@send/domain';
import { DeciderCommandHandler, type EventStore } from '@send/event-store';
import { APP_CONFIG, Clock, EVENT_STORE, type AppConfig } from '@send/platform';
import { badRequest } from '../common/problem';

export interface CaseCommandContext {
  actor: { id: string; role: string };
  correlationId: string;
}

/** What a command did to the case: opened it, changed it, or found it already so (nothing appended). */
export type CaseOutcome = 'created' | 'updated' | 'unchanged';

export interface CaseCommandResult {
  outcome: CaseOutcome;
  state: CaseState;
}

/**
 * Every command on a case goes through here: the domain's caseDecider on stream case-<caseRef>,
 * one DeciderCommandHandler for the process (recent cases kept folded, ADR 0003). Sync commands
 * are idempotent by nature (the decider appends only what differs), so no Idempotency-Key is needed.
 */
@Injectable()
export class CaseCommands {
  private readonly handler: DeciderCommandHandler<CaseCommand, CaseEvent, CaseFold, { now: Date }>;

  constructor(
    @Inject(EVENT_STORE) store: EventStore,
    @Inject(APP_CONFIG) config: Pick<AppConfig, 'COMMAND_CACHE_STREAMS'>,
    private readonly clock: Clock,
  ) {
    this.handler = new DeciderCommandHandler<CaseCommand, CaseEvent, CaseFold, { now: Date }>({
      store,
      decider: caseDecider,
      streamIdFor: caseStreamId,
      cacheSize: config.COMMAND_CACHE_STREAMS,
    });
  }

  /** Drops the kept state of this case (its personal data was erased): the next command reads it again. */
  forget(caseRef: string): void {
    this.handler.forget(caseRef);
  }

  /** Runs the command; an InvalidCommand from the domain is a 400 naming its field. */
  async run(command: CaseCommand, ctx: CaseCommandContext): Promise<CaseCommandResult> {
    try {
      const result = await this.handler.handle(
        command.caseRef,
        command,
        { now: this.clock.now() },
        { metadata: { correlationId: ctx.correlationId, causationId: ctx.correlationId, actor: ctx.actor } },
      );
      const outcome: CaseOutcome =
        result.events.length === 0 ? 'unchanged' : result.events[0].type === 'CaseOpened' ? 'created' : 'updated';
      return { outcome, state: result.state! };
    } catch (error) {
      if (error instanceof InvalidCommand) throw badRequest(error.message, [{ field: error.field, message: error.rule }]);
      throw error;
    }
  }
}
