import { ArgumentsHost, Catch, ExceptionFilter, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { problemOf } from '../common/problem.filter';
import { forRequest } from '../common/request-log';

/**
 * The GOV.UK error page for a status: 404 (also for what the caller may not see: its existence is
 * private), 403, 429; any other 4xx (an address or form that could not be read) keeps its status
 * with the "problem with what was sent" page; everything else is the 500 page.
 */
export function renderErrorPage(request: FastifyRequest, reply: FastifyReply, status: number) {
  const views: Record<number, string> = { 403: 'errors/403.njk', 404: 'errors/404.njk', 429: 'errors/too-many.njk' };
  const shown = views[status] || (status >= 400 && status < 500) ? status : 500;
  const view = views[shown] ?? (shown < 500 ? 'errors/400.njk' : 'errors/500.njk');
  return reply.code(shown).header('cache-control', 'no-store').type('text/html; charset=utf-8').view(view, { currentPath: request.url });
}

/** Errors on the pages become pages, never problem+json; unexpected ones are logged and hidden behind the 500 page. */
@Catch()
export class PageErrorsFilter implements ExceptionFilter {
  private readonly logger = new Logger('PageErrors');

  catch(error: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const reply = http.getResponse<FastifyReply>();
    const request = http.getRequest<FastifyRequest>();
    const known = problemOf(error);
    if (!known) this.logger.error({ ...forRequest(request), err: error });
    if (known?.status === 401) {
      void reply.redirect('/sign-in', 303);
      return;
    }
    void renderErrorPage(request, reply, known?.status ?? 500);
  }
}
