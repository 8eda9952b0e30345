import { Body, Controller, Get, HttpCode, Inject, Put } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { FAMILY_CHANNELS, familyChannelOf, familyNotificationsSet, foldUserAccount, userStreamId, type FamilyChannel } from '@send/domain';
import { WrongExpectedRevision, type EventStore } from '@send/event-store';
import { Clock, EVENT_STORE } from '@send/platform';
import { CorrelationId } from '../common/api-http';
import { ApiAnswer, ApiJsonBody, ApiProblems, ApiSignedIn, apiInput, apiOutput } from '../common/openapi';
import { notFound } from '../common/problem';
import { parseInput } from '../common/zod-body';
import { CurrentUser, Roles } from '../auth/auth.decorators';
import { REQUESTER_ROLES, type AuthUser } from '../auth/roles';

export const myNotificationsSchema = z.object(
  { channel: z.enum(FAMILY_CHANNELS as [FamilyChannel, ...FamilyChannel[]], { error: 'must be email, sms or none' }) },
  { error: 'must be a JSON object' },
);
apiInput('MyNotifications', myNotificationsSchema);

export const myNotificationsAnswerSchema = apiOutput(
  'MyNotificationsAnswer',
  z.object({
    channel: z
      .enum(FAMILY_CHANNELS as [FamilyChannel, ...FamilyChannel[]])
      .nullable()
      .describe('email, sms (a text to the phone on the request), none (no messages); null: never chosen, so email, or a text when a request has no email'),
  }),
  'How you hear about your requests: on receipt, when an officer picks one up, when a reply is late, on a holding reply, when one is closed or reopened.',
);
type MyNotificationsAnswer = z.output<typeof myNotificationsAnswerSchema>;

/**
 * The family's own choice of how they are told where their requests stand (ADR 0009), kept on their
 * account stream: the worker reads it there at each message, so a change applies to the next one.
 */
@ApiTags('me')
@ApiSignedIn()
@Controller('api/me/notifications')
export class MyNotificationsController {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly clock: Clock,
  ) {}

  @Get()
  @Roles(...REQUESTER_ROLES)
  @ApiOperation({ summary: 'How you are told about your requests (email, sms, none; null: not chosen)' })
  @ApiAnswer(myNotificationsAnswerSchema)
  @ApiProblems(404)
  async get(@CurrentUser() user: AuthUser): Promise<MyNotificationsAnswer> {
    const events = await this.store.read(userStreamId(user.id));
    if (!foldUserAccount(events)) throw notFound('No account.');
    return { channel: familyChannelOf(events) };
  }

  @Put()
  @HttpCode(200)
  @Roles(...REQUESTER_ROLES)
  @ApiOperation({ summary: 'Choose how you are told about your requests: email, sms (text message) or none' })
  @ApiJsonBody(myNotificationsSchema)
  @ApiAnswer(myNotificationsAnswerSchema)
  @ApiProblems(400, 404)
  async set(@Body() body: unknown, @CurrentUser() user: AuthUser, @CorrelationId() correlationId: string): Promise<MyNotificationsAnswer> {
    const { channel } = parseInput(myNotificationsSchema, body);
    const stream = userStreamId(user.id);
    for (let attempt = 0; ; attempt++) {
      const events = await this.store.read(stream);
      if (!foldUserAccount(events)) throw notFound('No account.');
      if (familyChannelOf(events) === channel) return { channel }; // already so: nothing to record
      try {
        const metadata = { correlationId, causationId: correlationId, actor: { id: user.id, role: user.role } };
        const event = familyNotificationsSet(user.id, channel, user.id, this.clock.now());
        await this.store.append(stream, [{ id: randomUUID(), ...event, metadata }], { expectedRevision: BigInt(events.length - 1) });
        return { channel };
      } catch (error) {
        if (!(error instanceof WrongExpectedRevision) || attempt >= 3) throw error;
      }
    }
  }
}
