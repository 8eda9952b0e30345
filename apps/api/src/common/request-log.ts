import type { FastifyInstance, FastifyRequest } from 'fastify';
import { PinoLogger } from 'nestjs-pino';

export const CORRELATION_ID_HEADER = 'X-Correlation-Id';

/** Requests that would drown the log: load balancer probes and Prometheus scrapes. */
const QUIET_ROUTES = new Set(['/health', '/metrics']);

/**
 * The fields that tie an application log line to the request it was written for: its correlation id
 * (Fastify's request id, see correlationIdFrom). Passed where the line is written, as in
 * `logger.error({ ...forRequest(request), err }, message)`: the api keeps no per-request async
 * context (no AsyncLocalStorage, whose promise hooks cost every await of every request; ADR 0029).
 */
export const forRequest = (request: { id: string }): { correlationId: string } => ({ correlationId: request.id });

/**
 * One line per HTTP request, written when the response has gone: method, route pattern (never the
 * raw URL, which holds ids and query strings), status, response time, user id, correlation id.
 * Nothing else: no headers, no names, no bodies. Also echoes the correlation id (Fastify's request
 * id, see correlationIdFrom) as a response header, on every answer including errors.
 */
export function installRequestLog(fastify: FastifyInstance): void {
  fastify.addHook('onRequest', (request, reply, done) => {
    reply.header(CORRELATION_ID_HEADER, request.id);
    done();
  });
  // Callback hooks, not async ones: no promise per request for work that never waits.
  fastify.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? null;
    if (route && QUIET_ROUTES.has(route)) return done();
    const line = {
      correlationId: request.id,
      method: request.method,
      route,
      status: reply.statusCode,
      ms: Math.round(reply.elapsedTime * 10) / 10,
      userId: (request as FastifyRequest & { user?: { id?: string } }).user?.id ?? null,
    };
    const log = PinoLogger.root;
    if (reply.statusCode >= 500) log.error(line, 'request failed');
    else log.info(line, 'request');
    done();
  });
}
