import { Body, Controller, Get, HttpCode, Param, Post, Req, Res } from '@nestjs/common';
import { ApiBody, ApiConsumes, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { CaseState } from '@send/domain';
import { CasesRepository, RequestViewsRepository, type RequestView } from '@send/read-models';
import { CorrelationId } from '../common/api-http';
import { ApiAnswer, ApiJsonBody, ApiProblems, ApiSignedIn } from '../common/openapi';
import { badRequest } from '../common/problem';
import { parseInput } from '../common/zod-body';
import { CurrentUser, Roles } from '../auth/auth.decorators';
import { REQUESTER_ROLES, STAFF_ROLES, type AuthUser } from '../auth/roles';
import { inScope } from '../scope/request-scope';
import { RequestScopes } from '../scope/request-scopes';
import { AccessLog, requestRead } from '../access-log/access-log.service';
import { CaseAccess, mayReadCaseRequests } from './case-access';
import { CaseFileError, CaseImport, CASE_CSV_COLUMNS, type ImportReport } from './case-import';
import {
  caseSchema,
  caseWithRequestsSchema,
  importReportSchema,
  myCaseSchema,
  syncCaseSchema,
  type CaseAnswer,
  type CaseWithRequests,
} from './dto/case.dto';
import { SyncCaseService } from './sync-case';

const CASE_WRITERS = ['service_manager', 'head_of_service', 'admin'] as const;
const CASE_REQUESTS_LIMIT = 500;

/** Thin: parse, authorize by role, hand to the case services. Rules live in the domain's caseDecider. */
@ApiTags('cases')
@ApiSignedIn()
@Controller('api')
export class CasesController {
  constructor(
    private readonly syncs: SyncCaseService,
    private readonly imports: CaseImport,
    private readonly access: CaseAccess,
    private readonly cases: CasesRepository,
    private readonly views: RequestViewsRepository,
    private readonly scopes: RequestScopes,
    private readonly accessLog: AccessLog,
  ) {}

  @Post('cases')
  @Roles(...CASE_WRITERS)
  @ApiOperation({ summary: 'Create or update one case (201 created, 200 updated or unchanged)' })
  @ApiJsonBody(syncCaseSchema)
  @ApiAnswer(caseSchema, { status: 201, description: 'The case, created' })
  @ApiAnswer(caseSchema, { status: 200, description: 'The case, updated or already so (nothing recorded)' })
  @ApiProblems(400, 409, 422)
  async sync(
    @Body() body: unknown,
    @CurrentUser() user: AuthUser,
    @CorrelationId() correlationId: string,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<CaseAnswer> {
    const input = parseInput(syncCaseSchema, body);
    const { outcome, state } = await this.syncs.sync(input, { actor: { id: user.id, role: user.role }, correlationId });
    void reply.status(outcome === 'created' ? 201 : 200);
    return caseAnswer(state);
  }

  // The body is read from the request, not @Body(): it is text/csv, not JSON.
  @Post('cases/import')
  @HttpCode(200)
  @Roles(...CASE_WRITERS)
  @ApiOperation({
    summary: 'Import cases from CSV, one line per contact; a case with a bad line is not imported; the same file twice changes nothing',
  })
  @ApiConsumes('text/csv')
  @ApiBody({ description: `CSV with the header ${CASE_CSV_COLUMNS.join(',')}`, schema: { type: 'string' } })
  @ApiAnswer(importReportSchema)
  @ApiProblems(400)
  async import(
    @Req() request: FastifyRequest,
    @CurrentUser() user: AuthUser,
    @CorrelationId() correlationId: string,
  ): Promise<ImportReport> {
    if (typeof request.body !== 'string')
      throw badRequest('Send the file as Content-Type: text/csv.', [{ field: 'body', message: 'must be text/csv' }]);
    try {
      return await this.imports.importCsv(request.body, { actor: { id: user.id, role: user.role }, correlationId });
    } catch (error) {
      if (error instanceof CaseFileError) throw badRequest(error.message, error.errors);
      throw error;
    }
  }

  @Get('cases/:caseRef')
  @Roles(...STAFF_ROLES)
  @ApiOperation({
    summary: 'One case with its contacts and requests (officers and team managers: their team; administrators: without requests)',
  })
  @ApiAnswer(caseWithRequestsSchema)
  @ApiProblems(404)
  async get(@Param('caseRef') caseRef: string, @CurrentUser() user: AuthUser): Promise<CaseWithRequests> {
    const state = await this.access.readable(caseRef, user);
    const requests = await this.requestsOf(state, user);
    // The case (its contacts) and each request shown on it are staff reads (ADR 0014).
    await this.accessLog.recordReads(user, [{ what: 'case', id: state.caseRef, caseRef: state.caseRef, teamId: state.teamId }], {
      context: 'direct',
      via: 'api',
    });
    await this.accessLog.recordReads(
      user,
      requests.map((r) => requestRead('request', r)),
      { context: 'case', via: 'api' },
    );
    return { ...caseAnswer(state), requests };
  }

  @Get('me/cases')
  @Roles(...REQUESTER_ROLES)
  @ApiOperation({ summary: 'The cases you are a contact of (open ones)' })
  @ApiAnswer(z.array(myCaseSchema))
  async mine(@CurrentUser() user: AuthUser): Promise<Array<z.output<typeof myCaseSchema>>> {
    return (await this.cases.casesOfUser(user)).map(({ caseRef, childName, teamId }) => ({ caseRef, childName, teamId }));
  }

  /**
   * The case's requests the caller may read (the one request scope: a team's officers see their
   * team's, triage and their own), newest first. Administrators read no request content (ADR 0006):
   * their scope holds none, and they are not even read.
   */
  private async requestsOf(state: CaseState, user: AuthUser): Promise<RequestView[]> {
    if (!mayReadCaseRequests(user)) return [];
    const scope = await this.scopes.of(user);
    // A case has a handful of requests: one page of its list is all of them.
    const { items } = await this.views.pageForCase(state.caseRef, { limit: CASE_REQUESTS_LIMIT });
    return items.filter((r) => inScope(scope, r.state)).map((r) => r.view);
  }
}

const caseAnswer = (s: CaseState): CaseAnswer => ({
  caseRef: s.caseRef,
  childName: s.childName,
  teamId: s.teamId,
  caseOfficerId: s.caseOfficerId,
  status: s.status,
  contacts: s.contacts,
});
