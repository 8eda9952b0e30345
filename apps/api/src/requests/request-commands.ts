import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { v5 as uuidv5 } from 'uuid';
import { contactRequestDecider, streamIdFor, type ContactRequestCommand } from '@send/domain';
import { eventIdsFor, handleCommand, type EventStore } from '@send/event-store';
import type { RequestView } from '@send/read-models';
import { APP_CONFIG, Clock, EVENT_STORE, type AppConfig } from '@send/platform';
import type { AuthUser } from '../auth/roles';
import { RequestAccess } from './request-access';

const COMMAND_ID_NAMESPACE = '0e7c1a4b-55f2-4d6e-b1f9-7a0d3c2e8b14';

export interface RequestCommandContext {
  actor: AuthUser;
  idempotencyKey?: string;
  correlationId: string;
}

/**
 * What every command on an existing request shares: ids that are deterministic under an
 * Idempotency-Key, the decider run through handleCommand (load, decide, append, retry), and the
 * request view after it, folded from the stream so it includes this command.
 */
@Injectable()
export class RequestCommands {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly clock: Clock,
    private readonly access: RequestAccess,
  ) {}

  /** An id for something the command creates (attempt, response): the same for the same key. */
  newId(ctx: RequestCommandContext, requestId: string, what: string): string {
    return ctx.idempotencyKey ? uuidv5(`${what}:${requestId}:${ctx.actor.id}:${ctx.idempotencyKey}`, COMMAND_ID_NAMESPACE) : randomUUID();
  }

  async run(requestId: string, command: ContactRequestCommand, ctx: RequestCommandContext): Promise<RequestView> {
    await this.access.visible(requestId, ctx.actor);
    const streamId = streamIdFor(requestId);
    await handleCommand({
      store: this.store,
      streamId,
      decider: contactRequestDecider,
      command,
      ctx: { now: this.clock.now(), policy: this.config.policy },
      eventIds: ctx.idempotencyKey ? eventIdsFor(`${command.type}:${ctx.actor.id}:${ctx.idempotencyKey}`, streamId) : undefined,
      metadata: {
        correlationId: ctx.correlationId,
        causationId: ctx.correlationId,
        actor: { id: ctx.actor.id, role: ctx.actor.role },
        idempotencyKey: ctx.idempotencyKey,
      },
    });
    return (await this.access.fold(requestId))!.view;
  }
}
