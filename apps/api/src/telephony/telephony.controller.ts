import { Body, Controller, Get, Headers, HttpCode, Inject, Param, Post, Query, Req, Res } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { TelephonyRepository, type UnmatchedNumber } from '@send/read-models';
import { APP_CONFIG, type AppConfig } from '@send/platform';
import { CurrentUser, Public, Roles } from '../auth/auth.decorators';
import { MANAGER_ROLES, type AuthUser } from '../auth/roles';
import { CorrelationId } from '../common/api-http';
import { ApiAnswer, ApiJsonBody, ApiPagedList, ApiProblems, ApiSignedIn, ApiSignedWebhook } from '../common/openapi';
import { answerPage, parsePageQuery } from '../common/paging';
import { problem, ProblemException } from '../common/problem';
import { parseInput } from '../common/zod-body';
import { CALL_SIGNATURE_HEADER, isSignedCall } from './call-signature';
import {
  callAnswerSchema,
  callSchema,
  linkAnswerSchema,
  linkNumberSchema,
  unmatchedNumberSchema,
  type CallAnswer,
  type LinkAnswer,
} from './dto/telephony.dto';
import { LinkNumberCommand } from './link-number.handler';
import { ReceiveCallCommand } from './receive-call.handler';

const STAFF_WHO_TRIAGE = ['officer', ...MANAGER_ROLES] as const;

/** Thin: check the signature or the role, parse, hand to the command bus; the unmatched list is a read model. */
@ApiTags('telephony')
@Controller('api/telephony')
export class TelephonyController {
  constructor(
    private readonly commands: CommandBus,
    private readonly telephony: TelephonyRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Post('calls')
  @Public()
  @HttpCode(202)
  @ApiOperation({
    summary: 'A call from the telephony system (signed): a missed call or voicemail becomes an unanswered attempt',
    description:
      'Sign the exact body: `X-Signature: sha256=<hex HMAC-SHA256 of the raw body with TELEPHONY_SECRET>`. ' +
      'A repeated callId records nothing new (`duplicate`).',
  })
  @ApiSignedWebhook()
  @ApiJsonBody(callSchema)
  @ApiAnswer(callAnswerSchema, { status: 202, description: 'What the call was recorded as' })
  @ApiProblems(400)
  receive(
    @Req() request: FastifyRequest & { rawBody?: Buffer },
    @Body() body: unknown,
    @Headers(CALL_SIGNATURE_HEADER) signature: string | undefined,
    @CorrelationId() correlationId: string,
  ): Promise<CallAnswer> {
    const secret = this.config.TELEPHONY_SECRET;
    // Never accept unsigned calls: without the secret there is nothing to check them against.
    if (!secret)
      throw new ProblemException(
        problem(503, 'telephony-not-configured', 'TELEPHONY_SECRET is not set: the api cannot verify calls, so it records none.'),
      );
    if (!isSignedCall(request.rawBody, signature, secret)) {
      throw new ProblemException(
        problem(
          401,
          'bad-signature',
          'X-Signature must be sha256=<hex HMAC-SHA256 of the exact body with the shared secret>; nothing was recorded.',
          { title: 'Bad signature' },
        ),
      );
    }
    return this.commands.execute(new ReceiveCallCommand(parseInput(callSchema, body), correlationId));
  }

  @Get('unmatched')
  @ApiSignedIn()
  @Roles(...STAFF_WHO_TRIAGE)
  @ApiOperation({ summary: 'Numbers no open case knows, with their unanswered calls, the most recent caller first' })
  @ApiPagedList(unmatchedNumberSchema)
  async unmatched(
    @Query() query: unknown,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<UnmatchedNumber[]> {
    const page = parsePageQuery(query);
    return answerPage(request, reply, page.limit, await this.telephony.pageUnmatched(page));
  }

  @Post('unmatched/:number/link')
  @HttpCode(200)
  @ApiSignedIn()
  @Roles(...STAFF_WHO_TRIAGE)
  @ApiOperation({
    summary: 'Say whose number it is: files each of its unmatched calls on the case (as a missed call from a contact would be)',
  })
  @ApiParam({ name: 'number', description: 'As the unmatched list names it, URL-encoded (E.164: %2B447700900101)' })
  @ApiJsonBody(linkNumberSchema)
  @ApiAnswer(linkAnswerSchema, { description: 'The calls filed, oldest first' })
  @ApiProblems(400, 404, 409, 422)
  link(
    @Param('number') number: string,
    @Body() body: unknown,
    @CurrentUser() user: AuthUser,
    @CorrelationId() correlationId: string,
  ): Promise<LinkAnswer> {
    const { caseRef } = parseInput(linkNumberSchema, body);
    return this.commands.execute(new LinkNumberCommand(number, caseRef, user, correlationId));
  }
}
