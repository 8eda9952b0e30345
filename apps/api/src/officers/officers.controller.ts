import { Body, Controller, HttpCode, Param, Put } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { CorrelationId } from '../common/api-http';
import { ApiAnswer, ApiJsonBody, ApiProblems, ApiSignedIn, apiInput, apiOutput } from '../common/openapi';
import { parseInput } from '../common/zod-body';
import { CurrentUser, Roles } from '../auth/auth.decorators';
import type { AuthUser } from '../auth/roles';
import { SetAvailabilityCommand, type AvailabilityAnswer } from './set-availability.handler';

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

/**
 * An officer's absence (API.md "Cases and routing"): routing gives an away officer no new requests
 * (they wait in the team queue needing cover) and shows their open ones as needing cover. Set by the
 * officer, their team manager, or a service-wide manager (SetAvailabilityCommand).
 */
@ApiTags('officers')
@ApiSignedIn()
@Controller('api/officers')
export class OfficersController {
  constructor(private readonly commands: CommandBus) {}

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
    return this.commands.execute(new SetAvailabilityCommand(officerId, parseInput(availabilitySchema, body), user, correlationId));
  }
}
