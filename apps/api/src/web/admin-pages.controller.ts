import { Body, Controller, Get, Post, Req, Res, UseFilters } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Public } from '../auth/auth.decorators';
import type { AuthUser } from '../auth/roles';
import { CaseFileError, CaseImport, CASE_CSV_COLUMNS, type ImportReport } from '../cases/case-import';
import { PageErrorsFilter } from './page-errors.filter';
import { PageRender } from './page-render';
import { fieldErrors } from './public-pages.controller';
import { WebSession } from './web-session';

/** POST /api/cases/import's roles. */
const CASE_IMPORTERS: readonly string[] = ['admin', 'service_manager', 'head_of_service'];

/**
 * The case import page: CSV pasted into a textarea (works without JavaScript; no multipart plugin),
 * imported by the same CaseImport as POST /api/cases/import, and its report shown line by line.
 * Public to the bearer guard: the session cookie is checked here.
 */
@ApiExcludeController()
@Public()
@UseFilters(PageErrorsFilter)
@Controller('admin/cases')
export class AdminPagesController {
  constructor(
    private readonly imports: CaseImport,
    private readonly render: PageRender,
    private readonly session: WebSession,
  ) {}

  @Get()
  async form(@Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    const user = await this.session.require(request, (u) => CASE_IMPORTERS.includes(u.role));
    return this.page(request, reply, user, { csv: '', report: null, errors: null });
  }

  @Post()
  async import(@Body() body: unknown, @Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    const user = await this.session.require(request, (u) => CASE_IMPORTERS.includes(u.role));
    const form = (body ?? {}) as Record<string, unknown>;
    const csv = typeof form.csv === 'string' ? form.csv : '';
    if (!csv.trim())
      return this.page(
        request,
        reply,
        user,
        { csv, report: null, errors: fieldErrors([{ field: 'csv', text: 'Enter the CSV of cases' }]) },
        400,
      );
    try {
      const report = await this.imports.importCsv(csv, { actor: { id: user.id, role: user.role }, correlationId: request.id });
      return this.page(request, reply, user, { csv, report: reportRows(report), errors: null });
    } catch (error) {
      if (!(error instanceof CaseFileError)) throw error;
      const detail = error.errors.map((e) => `${e.field} ${e.message}`).join('; ');
      const text = `The CSV cannot be read: ${error.message}${detail ? ` (${detail})` : ''}`;
      return this.page(request, reply, user, { csv, report: null, errors: fieldErrors([{ field: 'csv', text }]) }, 400);
    }
  }

  private page(request: FastifyRequest, reply: FastifyReply, user: AuthUser, data: Record<string, unknown>, status = 200) {
    return this.render.page(
      request,
      reply,
      'admin/cases.njk',
      { ...data, columns: CASE_CSV_COLUMNS.join(', '), isAdmin: user.role === 'admin' },
      user,
      status,
    );
  }
}

/** The import report as the page lists it: the counts and each rejected line with its reasons. */
export function reportRows(report: ImportReport) {
  return {
    created: report.created,
    updated: report.updated,
    unchanged: report.unchanged,
    rejected: report.rejected.map((r) => ({ line: r.line, reasons: r.errors.map((e) => `${e.field}: ${e.message}`) })),
  };
}
