import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { randomUUID } from 'node:crypto';
import { v5 as uuidv5 } from 'uuid';
import type { RequestView, SubmitRequest } from '@send/domain';
import { Clock } from '@send/platform';
import { badRequest } from '../common/problem';
import { isStaff } from '../auth/roles';
import { isSystem } from '../auth/roles';
import { ReferenceNumbers } from './reference-numbers';
import { RequestRouting } from './request-routing';
import { RequestCommands } from './request-commands';
import { SubmitRequestCommand } from './submit-request.command';

const REQUEST_ID_NAMESPACE = '9b0d7c2e-3f59-4a8e-8a41-61f0b7d4c6a2';

@CommandHandler(SubmitRequestCommand)
export class SubmitRequestHandler implements ICommandHandler<SubmitRequestCommand, RequestView> {
  constructor(
    private readonly requests: RequestCommands,
    private readonly clock: Clock,
    private readonly references: ReferenceNumbers,
    private readonly routing: RequestRouting,
  ) {}

  async execute({ input, actor, idempotencyKey, correlationId }: SubmitRequestCommand): Promise<RequestView> {
    // Staff, and integrations such as telephony, submit on someone's behalf.
    const onBehalf = isStaff(actor) || isSystem(actor);
    if (onBehalf && !input.requester) {
      throw badRequest('Staff submit on behalf of someone: say who in `requester`.', [
        { field: 'requester', message: 'is required when staff submit a request' },
      ]);
    }
    if (!onBehalf && input.requester) {
      throw badRequest('Only staff submit on behalf of someone else.', [{ field: 'requester', message: 'is not allowed for your role' }]);
    }
    if (!onBehalf && input.receivedAt) {
      throw badRequest('Only staff record when a contact arrived.', [{ field: 'receivedAt', message: 'is not allowed for your role' }]);
    }
    // A requester may ask for urgency; only staff set the priority that drives the clocks.
    const requesterFlaggedUrgent = !onBehalf && input.priority === 'urgent';

    // The same key from the same user always names the same request, so a retry finds its first result.
    const requestId = idempotencyKey ? uuidv5(`submit:${actor.id}:${idempotencyKey}`, REQUEST_ID_NAMESPACE) : randomUUID();
    const now = this.clock.now();
    const requester = input.requester
      ? { ...input.requester, email: input.requester.email ?? '' }
      : { role: actor.role as 'parent' | 'school' | 'professional', name: actor.name, email: actor.email, userId: actor.id };
    const command: SubmitRequest = {
      type: 'SubmitRequest',
      requestId,
      reference: await this.references.next(now),
      caseRef: input.caseRef ?? '',
      requester,
      channel: input.channel,
      category: input.category,
      priority: requesterFlaggedUrgent ? 'normal' : input.priority,
      requesterFlaggedUrgent,
      receivedAt: input.receivedAt,
      subject: input.subject,
      message: input.message,
      routing: await this.routing.atSubmission({ requestedCaseRef: input.caseRef ?? null, requester, onBehalf, now }),
      by: actor.id,
    };

    return this.requests.run(requestId, command, { actor, idempotencyKey, correlationId });
  }
}
