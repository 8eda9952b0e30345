import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DomainError } from '@send/domain';
import { ConcurrencyConflict, DuplicateEventId } from '@send/event-store';
import { problem, ProblemException, type Problem } from './problem';
import { renderErrorPage } from '../web/page-errors.filter';
import { isPagePath } from '../web/page-paths';
import { forRequest } from './request-log';

const wantsPage = (request: FastifyRequest): boolean => isPagePath(request.url) && (request.headers.accept ?? '').includes('text/html');

/** Turns every error into application/problem+json; unexpected ones are logged and hidden. */
@Catch()
export class ProblemFilter implements ExceptionFilter {
  private readonly logger = new Logger('ProblemFilter');

  catch(error: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const request = host.switchToHttp().getRequest<FastifyRequest>();
    const body = this.toProblem(error, request);
    // A browser asking for a page that is not there (no route) gets the GOV.UK page, not JSON; /api never does.
    if (wantsPage(request) && typeof reply.view === 'function') {
      void renderErrorPage(request, reply, body.status);
      return;
    }
    void reply.status(body.status).header('content-type', 'application/problem+json').send(body);
  }

  private toProblem(error: unknown, request: FastifyRequest): Problem {
    const known = problemOf(error);
    if (known) return known;
    this.logger.error({ ...forRequest(request), err: error });
    return problem(500, 'internal-error', 'Something went wrong on our side. It has been logged.');
  }
}

/** The problem an error answers with, or null for an unexpected error (a 500). Metrics classify commands with it too. */
export function problemOf(error: unknown): Problem | null {
  if (error instanceof ProblemException) return error.problem;
  if (error instanceof DomainError) {
    return problem(error.httpStatus, error.code.replace(/_/g, '-'), error.message);
  }
  if (error instanceof ConcurrencyConflict) {
    return problem(409, 'concurrency-conflict', 'The request changed while this was being saved; try again.');
  }
  if (error instanceof DuplicateEventId) {
    return problem(422, 'idempotency-key-reused', 'This Idempotency-Key was already used for a different command; use a new key.');
  }
  if (error instanceof HttpException) {
    const status = error.getStatus();
    const response = error.getResponse();
    const detail = typeof response === 'string' ? response : ((response as { message?: string }).message ?? error.message);
    return problem(
      status,
      status === 404 ? 'not-found' : status === 400 ? 'invalid-input' : `http-${status}`,
      Array.isArray(detail) ? detail.join('; ') : detail,
    );
  }
  // Fastify's own errors (e.g. a body that is not JSON) carry a statusCode.
  const statusCode = (error as { statusCode?: number })?.statusCode;
  if (typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500) {
    return problem(statusCode, 'invalid-input', (error as Error).message);
  }
  return null;
}
