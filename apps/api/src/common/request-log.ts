import type { FastifyInstance, FastifyRequest } from 'fastify';
import { PinoLogger } from 'nestjs-pino';
import { storage, Store } from 'nestjs-pino/storage';
import type { Logger } from 'pino';

export const CORRELATION_ID_HEADER = 'X-Correlation-Id';

/** Requests that would drown the log: load balancer probes and Prometheus scrapes. */
const QUIET_ROUTES = new Set(['/health', '/metrics']);

/**
 * One line per HTTP request, written when the response has gone: method, route pattern (never the
 * raw URL, which holds ids and query strings), status, response time, user id, correlation id.
 * Nothing else: no headers, no names, no bodies. Also echoes the correlation id (Fastify's request
 * id, see correlationIdFrom) as a response header, on every answer including errors.
 */
export function installRequestLog(fastify: FastifyInstance): void {
  fastify.addHook('onRequest', (request, reply, done) => {
    reply.header(CORRELATION_ID_HEADER, request.id);
    // What nestjs-pino's pino-http middleware did (see AppModule: it binds no routes now), without
    // its two child loggers per request: the child is made when a line is first written inside it.
    storage.run(requestStore(request.id), done);
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

/**
 * nestjs-pino's per-request Store (PinoLogger writes through `storage.getStore().logger`) whose
 * logger, the root's child bound to the correlation id, is made on first use: most requests write
 * no application line, and two pino children per request were ~5% of the api's CPU under load.
 */
const lazyStore = Object.create(Store.prototype, {
  logger: {
    get(this: { correlationId: string; child?: Logger }): Logger {
      return (this.child ??= PinoLogger.root.child({ correlationId: this.correlationId }));
    },
  },
}) as Store;

function requestStore(correlationId: string): Store {
  const store = Object.create(lazyStore) as Store & { correlationId: string };
  store.correlationId = correlationId;
  return store;
}
