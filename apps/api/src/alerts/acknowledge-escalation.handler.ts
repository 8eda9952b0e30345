import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { AlertsRepository, isRoutedTo, type RequestView } from '@send/read-models';
import { notFound } from '../common/problem';
import { RequestCommands, type RequestCommandContext } from '../requests/request-commands';

export class AcknowledgeEscalationCommand {
  constructor(
    readonly escalationId: string,
    readonly ctx: RequestCommandContext,
  ) {}
}

/** A manager it is routed to takes the alert: the chain stops climbing while they get the family an answer. */
@CommandHandler(AcknowledgeEscalationCommand)
export class AcknowledgeEscalationHandler implements ICommandHandler<AcknowledgeEscalationCommand, RequestView> {
  constructor(
    private readonly alerts: AlertsRepository,
    private readonly requests: RequestCommands,
  ) {}

  async execute({ escalationId, ctx }: AcknowledgeEscalationCommand) {
    const alert = await this.alerts.get(escalationId);
    // Existence is private: an alert not routed to the caller is as good as absent.
    if (!alert || !isRoutedTo(alert, ctx.actor)) throw notFound(`No alert ${escalationId} routed to you.`);
    return this.requests.run(
      alert.requestId,
      { type: 'AcknowledgeEscalation', requestId: alert.requestId, escalationId, by: ctx.actor.id, role: ctx.actor.role },
      ctx,
    );
  }
}
