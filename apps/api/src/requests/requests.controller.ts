import { Body, Controller, Get, Headers, Param, Post, Query } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiHeader, ApiOperation, ApiTags } from '@nestjs/swagger';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { RequestView } from '@send/read-models';
import { parseInput } from '../common/zod-body';
import { CurrentUser, Roles } from '../auth/auth.decorators';
import type { AuthUser } from '../auth/roles';
import { submitRequestSchema } from './dto/submit-request.dto';
import { GetRequestViewQuery, ListRequestsQuery } from './request-view.query';
import { SubmitRequestCommand } from './submit-request.command';

const idempotencyKeySchema = z.string().trim().min(1).max(200).optional();
const listFilterSchema = z.object({
  status: z.enum(['open', 'assigned', 'responded', 'resolved']).optional(),
  caseRef: z.string().trim().min(1).max(64).optional(),
});

@ApiTags('requests')
@ApiBearerAuth()
@Controller('api/requests')
export class RequestsController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
  ) {}

  @Post()
  @Roles('parent', 'school', 'professional', 'officer', 'team_manager', 'service_manager', 'head_of_service')
  @ApiOperation({ summary: 'Submit a contact request (staff: on behalf of `requester`). Honours Idempotency-Key.' })
  @ApiHeader({ name: 'Idempotency-Key', required: false })
  async submit(@Body() body: unknown, @CurrentUser() user: AuthUser, @Headers('idempotency-key') key?: string): Promise<RequestView> {
    const input = parseInput(submitRequestSchema, body);
    const idempotencyKey = parseInput(idempotencyKeySchema, key, 'Idempotency-Key header');
    return this.commands.execute(new SubmitRequestCommand(input, user, idempotencyKey, randomUUID()));
  }

  @Get()
  @ApiOperation({ summary: 'Requests you may see: your own, or (staff) the service' })
  list(@CurrentUser() user: AuthUser, @Query() query: unknown): Promise<RequestView[]> {
    return this.queries.execute(new ListRequestsQuery(user, parseInput(listFilterSchema, query, 'query')));
  }

  @Get(':id')
  @ApiOperation({ summary: 'One request view' })
  get(@Param('id') id: string, @CurrentUser() user: AuthUser): Promise<RequestView> {
    return this.queries.execute(new GetRequestViewQuery(id, user));
  }
}
