import { Body, Controller, HttpCode, Inject, Param, Put } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { availabilitySet, foldUserAccount, isAwayAt, userStreamId } from '@send/domain';
import { WrongExpectedRevision, type EventStore } from '@send/event-store';
import { Clock, EVENT_STORE } from '@send/platform';
import { CorrelationId } from '../common/api-http';
import { ApiAnswer, ApiJsonBody, ApiProblems, ApiSignedIn, apiInput, apiOutput } from '../common/openapi';
import { badRequest, forbidden, notFound } from '../common/problem';
import { parseInput } from '../common/zod-body';
import { CurrentUser, Roles } from '../auth/auth.decorators';
import type { AuthUser } from '../auth/roles';

const instantOrNull = z.iso.datetime({ offset: true, error: 'must be an ISO 8601 date-time or null' }).nullable();
export const availabilitySchema = z.object({ awayFrom: instantOrNull, awayUntil: instantOrNull }, { error: 'must be a JSON object' });
apiInput('OfficerAvailability', availabilitySchema);

export const availabilityAnswerSchema = apiOutput(
  'OfficerAvailabilityAnswer',
  z.object({
    officerId: z.string(),
    awayFrom: z.string().nullable(),
    awayUntil: z.string().nullable(),
    awayNow: z.boolean().describe('Whether the officer is away at the time of the answer'),
  }),
  "An officer's absence as recorded.",
);
type AvailabilityAnswer = z.output<typeof availabilityAnswerSchema>;

/**
 * An officer's absence (API.md "Cases and routing"): routing gives an away officer no new requests
 * (they wait in the team queue needing cover) and shows their open ones as needing cover. Set by the
 * officer, their team manager, or a service-wide manager. Recorded on the officer's own stream.
 */
@ApiTags('officers')
@ApiSignedIn()
@Controller('api/officers')
export class OfficersController {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly clock: Clock,
  ) {}

  @Put(':id/availability')
  @HttpCode(200)
  @Roles('officer', 'team_manager', 'service_manager', 'head_of_service')
  @ApiOperation({ summary: 'Mark an officer away (from, until; null clears), so routing passes their cases to the team' })
  @ApiJsonBody(availabilitySchema)
  @ApiAnswer(availabilityAnswerSchema)
  @ApiProblems(400, 403, 404)
  async setAvailability(
    @Param('id') officerId: string,
    @Body() body: unknown,
    @CurrentUser() user: AuthUser,
    @CorrelationId() correlationId: string,
  ): Promise<AvailabilityAnswer> {
    const input = parseInput(availabilitySchema, body);
    if (user.role === 'officer' && user.id !== officerId)
      throw forbidden('Officers set their own availability; their team manager may set it for them.');
    const stream = userStreamId(officerId);
    for (let attempt = 0; ; attempt++) {
      const events = await this.store.read(stream);
      const officer = foldUserAccount(events);
      if (!officer || officer.role !== 'officer') throw notFound(`No officer ${officerId}.`);
      if (user.role === 'team_manager' && officer.teamId !== user.teamId)
        throw forbidden(`You manage team ${user.teamId}; this officer is in team ${officer.teamId}.`);
      const now = this.clock.now();
      let event;
      try {
        event = availabilitySet(officerId, input, user.id, now);
      } catch (error) {
        const [field, message] = String((error as Error).message).split(': ');
        throw badRequest(`The availability is not valid: ${message}.`, [{ field: field!, message: message! }]);
      }
      const answer = { officerId, awayFrom: event.data.awayFrom, awayUntil: event.data.awayUntil, awayNow: isAwayAt(event.data, now) };
      if (officer.awayFrom === event.data.awayFrom && officer.awayUntil === event.data.awayUntil) return answer; // already so
      try {
        const metadata = { correlationId, causationId: correlationId, actor: { id: user.id, role: user.role } };
        await this.store.append(stream, [{ id: randomUUID(), ...event, metadata }], { expectedRevision: BigInt(events.length - 1) });
        return answer;
      } catch (error) {
        // Someone else changed the account meanwhile: decide again on what is there now.
        if (!(error instanceof WrongExpectedRevision) || attempt >= 3) throw error;
      }
    }
  }
}
