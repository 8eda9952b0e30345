import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { v5 as uuidv5 } from 'uuid';
import {
  contactRequestDecider,
  isSubmitted,
  streamIdFor,
  type ContactRequestCommand,
  type ContactRequestEvent,
  type ContactRequestState,
  type RequestView,
  type State,
} from '@send/domain';
import { DeciderCommandHandler, eventIdsFor, faultSeam, type EventStore } from '@send/event-store';
import { traceAlert, type RecipientLookup } from '@send/notifications';
import { AlertsOnAppend } from '../alerts/alerts-on-append';
import { APP_CONFIG, Clock, EVENT_STORE, type AppConfig } from '@send/platform';
import type { AuthUser } from '../auth/roles';
import { RequestScopes } from '../scope/request-scopes';
import { inScope, needsLinkedCases, type RequestScope } from '../scope/request-scope';
import { isRequestId, noSuchRequest, RequestAccess } from './request-access';

const COMMAND_ID_NAMESPACE = '0e7c1a4b-55f2-4d6e-b1f9-7a0d3c2e8b14';

export interface RequestCommandContext {
  actor: AuthUser;
  idempotencyKey?: string;
  correlationId: string;
}

/**
 * Every command on a request goes through here: one DeciderCommandHandler for the api process,
 * keeping the folded state of recently used requests (COMMAND_CACHE_STREAMS, ADR 0003), ids that
 * are deterministic under an Idempotency-Key, the caller's right to act checked on the very state
 * the decision is made on, and the answer made from that state by the domain's toView (the same
 * function the projection stores), so the api never reads the stream back.
 */
@Injectable()
export class RequestCommands {
  private readonly handler: DeciderCommandHandler<ContactRequestCommand, ContactRequestEvent, State, unknown>;

  constructor(
    @Inject(EVENT_STORE) store: EventStore,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly clock: Clock,
    private readonly access: RequestAccess,
    private readonly scopes: RequestScopes,
    private readonly alerts: AlertsOnAppend,
  ) {
    this.handler = new DeciderCommandHandler({
      store,
      decider: contactRequestDecider,
      streamIdFor,
      cacheSize: config.COMMAND_CACHE_STREAMS,
    });
  }

  /** Drops the kept state of this request (its personal data was erased): the next command reads it again. */
  forget(requestId: string): void {
    this.handler.forget(requestId);
  }

  /** An id for something the command creates (attempt, response): the same for the same key. */
  newId(ctx: RequestCommandContext, requestId: string, what: string): string {
    return ctx.idempotencyKey ? uuidv5(`${what}:${requestId}:${ctx.actor.id}:${ctx.idempotencyKey}`, COMMAND_ID_NAMESPACE) : randomUUID();
  }

  /**
   * Runs a command on a request and answers its view. `scope` is the idempotency scope of the key
   * (the command type on an existing request; the submission has its own). A new request (SubmitRequest)
   * needs no right to see it first.
   */
  async run(
    requestId: string,
    command: ContactRequestCommand,
    ctx: RequestCommandContext,
    scope: string = command.type,
  ): Promise<RequestView> {
    if (!isRequestId(requestId)) throw noSuchRequest(requestId);
    const streamId = streamIdFor(requestId);
    let lookup: RecipientLookup | undefined;
    const decideWithin = (callerScope: RequestScope | null) =>
      this.handler.handle(
        requestId,
        command,
        { now: this.clock.now(), policy: this.config.policy },
        {
          eventIds: ctx.idempotencyKey ? eventIdsFor(`${scope}:${ctx.actor.id}:${ctx.idempotencyKey}`, streamId) : undefined,
          metadata: {
            correlationId: ctx.correlationId,
            causationId: ctx.correlationId,
            actor: { id: ctx.actor.id, role: ctx.actor.role },
            idempotencyKey: ctx.idempotencyKey,
          },
          // An escalation's recipients are looked up while its append commits, not after.
          decided: (events, state) => (lookup = this.alerts.prefetch(events, state as State) ?? lookup),
          guard:
            callerScope === null
              ? undefined
              : (state) => {
                  if (!isSubmitted(state as State) || !inScope(callerScope, state as ContactRequestState)) throw new OutOfScope();
                },
        },
      );
    // A new request needs no right to see it first; on any other, the caller's scope is checked on
    // the very state the decision is made on. A family's scope is first tried without their linked
    // cases (most commands are on their own requests), and with them only when that is not enough.
    let result;
    try {
      result = await decideWithin(command.type === 'SubmitRequest' ? null : this.scopes.withoutCases(ctx.actor));
    } catch (error) {
      if (!(error instanceof OutOfScope)) throw error;
      if (!needsLinkedCases(ctx.actor)) throw noSuchRequest(requestId);
      try {
        result = await decideWithin(await this.scopes.of(ctx.actor));
      } catch (again) {
        throw again instanceof OutOfScope ? noSuchRequest(requestId) : again;
      }
    }
    if (result.events.some((e) => e.type === 'EscalationRaised')) traceAlert('appended', requestId);
    // An escalation this command raised goes to the managers' live streams now, not after the worker's poll.
    this.alerts.after(requestId, result.events, result.state as State, lookup);
    const pause = faultSeam('after-append');
    if (pause) await pause;
    return this.access.viewOf(result.state as ContactRequestState);
  }
}

/** The guard's refusal, told apart from the domain's own errors. */
class OutOfScope extends Error {}
