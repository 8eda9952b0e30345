import { Controller, Get, Headers, HttpCode, Param, Post, Query, Req, Res, Sse } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Observable } from 'rxjs';
import type { Alert } from '@send/read-models';
import { CurrentUser, Roles, TokenInQuery } from '../auth/auth.decorators';
import { answerPage, parsePageQuery } from '../common/paging';
import { CorrelationId } from '../common/api-http';
import { ApiAnswer, ApiCommand, ApiEventStream, ApiPagedList, ApiSignedIn } from '../common/openapi';
import { requestViewSchema } from '../requests/dto/request-view.dto';
import { alertItemSchema } from './dto/alert-item.dto';
import { liveAlertSchema } from './dto/live-alert.dto';
import { MANAGER_ROLES, type AuthUser } from '../auth/roles';
import { AcknowledgeEscalationCommand } from './acknowledge-escalation.handler';
import { AlertsInbox } from './alerts-inbox';
import { LiveAlerts } from './live-alerts';

/** API.md's alert item: the escalation as a manager needs to act on it. */
const toApi = ({ escalationId, requestId, reference, level, reason, unansweredCount, raisedAt, status }: Alert) => ({
  escalationId,
  requestId,
  reference,
  level,
  reason,
  unansweredCount,
  raisedAt,
  status,
});

@ApiTags('alerts')
@ApiSignedIn()
@Controller('api/alerts')
export class AlertsController {
  constructor(
    private readonly inbox: AlertsInbox,
    private readonly live: LiveAlerts,
    private readonly commands: CommandBus,
  ) {}

  @Get()
  @Roles(...MANAGER_ROLES)
  @ApiOperation({ summary: "Open escalations at or routed to the caller's level (team managers: their team)" })
  @ApiPagedList(alertItemSchema)
  async list(
    @CurrentUser() user: AuthUser,
    @Query() query: unknown,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const page = parsePageQuery(query);
    const alerts = await this.inbox.page(user, page);
    return answerPage(request, reply, page.limit, { ...alerts, items: alerts.items.map((a) => ({ ...toApi(a), ownerAway: a.ownerAway })) });
  }

  @Sse('stream')
  @Roles(...MANAGER_ROLES)
  @TokenInQuery()
  @ApiOperation({ summary: 'Live alerts as server-sent events (EventSource may pass ?access_token=)' })
  @ApiQuery({
    name: 'access_token',
    required: false,
    schema: { type: 'string' },
    description: 'The bearer token, for EventSource, which cannot send headers',
  })
  @ApiEventStream('Server-sent events named `alert`; each data line is a JSON LiveAlert (#/components/schemas/LiveAlert)', liveAlertSchema)
  stream(@CurrentUser() user: AuthUser): Observable<{ type: string; data: unknown }> {
    return this.live.for(user);
  }

  @Post(':escalationId/acknowledge')
  @HttpCode(200)
  @Roles(...MANAGER_ROLES)
  @ApiOperation({ summary: 'Acknowledge an escalation routed to you (starts its response window)' })
  @ApiAnswer(requestViewSchema, { description: 'The request after the acknowledgement' })
  @ApiCommand(404)
  acknowledge(
    @Param('escalationId') escalationId: string,
    @CurrentUser() user: AuthUser,
    @CorrelationId() correlationId: string,
    @Headers('idempotency-key') key?: string,
  ) {
    return this.commands.execute(new AcknowledgeEscalationCommand(escalationId, { actor: user, idempotencyKey: key, correlationId }));
  }
}
