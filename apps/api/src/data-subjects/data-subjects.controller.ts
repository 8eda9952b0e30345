import { Body, Controller, Get, Headers, HttpCode, Param, Post, Req, Res } from '@nestjs/common';
import { ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CorrelationId } from '../common/api-http';
import { ApiAnswer, ApiCommand, ApiJsonBody, ApiProblems, ApiSignedIn, idempotencyKeySchema } from '../common/openapi';
import { parseInput } from '../common/zod-body';
import { CurrentUser, Roles } from '../auth/auth.decorators';
import type { AuthUser } from '../auth/roles';
import { eraseSchema, erasureAnswerSchema, subjectExportSchema, type ErasureAnswer, type SubjectExport } from './dto/data-subjects.dto';
import { ExportPage } from './export-page';
import { SubjectErasureService } from './subject-erasure';
import { SubjectExportService } from './subject-export';
import { parseSubject } from './subject-streams';

/** Who may export (shared API.md, "Personal data"). */
const EXPORTERS = ['service_manager', 'head_of_service', 'dpo'] as const;
/** Who may erase. */
const ERASERS = ['service_manager', 'head_of_service'] as const;

/** Thin: parse the subject and body, hand to the export or erasure service; HTML for a browser's Accept. */
@ApiTags('personal data')
@ApiSignedIn()
@Controller('api/data-subjects')
export class DataSubjectsController {
  constructor(
    private readonly exports: SubjectExportService,
    private readonly erasures: SubjectErasureService,
    private readonly page: ExportPage,
  ) {}

  @Get(':id/export')
  @Roles(...EXPORTERS)
  @ApiOperation({
    summary:
      "Everything held about one person (subject access): account, cases they are a contact on, their requests with timelines, their calls. `Accept: text/html` answers a readable page",
  })
  @ApiProduces('application/json', 'text/html')
  @ApiAnswer(subjectExportSchema)
  @ApiProblems(400, 404)
  async export(
    @Param('id') id: string,
    @CurrentUser() user: AuthUser,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<SubjectExport | string> {
    parseSubject(id);
    const html = wantsHtml(request.headers.accept);
    const answer = await this.exports.export(id, user, 'api');
    void reply.header('cache-control', 'no-store');
    if (!html) return answer;
    void reply.type('text/html; charset=utf-8');
    return this.page.render(answer, user, request.url);
  }

  @Post(':id/erase')
  @HttpCode(200)
  @Roles(...ERASERS)
  @ApiOperation({
    summary:
      "Erases one person's personal data everywhere (their keys deleted; every answer then shows it as erased; counts and times stay). 422 while a request of theirs is open, unless `force: true`",
  })
  @ApiJsonBody(eraseSchema)
  @ApiAnswer(erasureAnswerSchema)
  @ApiCommand(404, 503)
  async erase(
    @Param('id') id: string,
    @Body() body: unknown,
    @CurrentUser() user: AuthUser,
    @CorrelationId() correlationId: string,
    @Headers('idempotency-key') key?: string,
  ): Promise<ErasureAnswer> {
    parseSubject(id);
    const input = parseInput(eraseSchema, body ?? {});
    const idempotencyKey = parseInput(idempotencyKeySchema, key, 'Idempotency-Key');
    return this.erasures.erase(id, input, { actor: user, correlationId, idempotencyKey });
  }
}

/** A browser's Accept (text/html before any JSON); an API client's `*\/*` or JSON gets JSON. */
const wantsHtml = (accept: string | undefined): boolean => {
  if (!accept) return false;
  const html = accept.indexOf('text/html');
  const json = accept.indexOf('application/json');
  return html >= 0 && (json < 0 || html < json);
};
