import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
// The helmet @fastify/helmet wraps (its dependency, hoisted): used directly to compute the headers once.
import helmet, { type HelmetOptions } from 'helmet';
import { Logger } from 'nestjs-pino';
import { correlationIdFrom } from '@send/platform';
import type { AuthUser } from '../auth/roles';
import { problem } from './problem';
import { installRequestLog } from './request-log';

/**
 * The Fastify adapter the api runs on: the request id is the correlation id (see correlationIdFrom).
 * Forwarded headers are believed only from the configured proxies (TRUSTED_PROXIES): otherwise any
 * client could set X-Forwarded-For and pick the address the sign-in limits count.
 */
export function apiHttpAdapter(trustedProxies: readonly string[] = []): FastifyAdapter {
  return new FastifyAdapter({
    trustProxy: trustedProxies.length ? [...trustedProxies] : false,
    bodyLimit: 1_048_576,
    // A URL the router cannot read (bad percent-encoding) or a path segment over maxParamLength (100):
    // Fastify answers these before any route, hook or Nest filter runs, as its own JSON: answer problem+json
    // (pages too: the reply here has no view renderer, and nothing of the page could run).
    frameworkErrors: (error: FastifyError, _request: FastifyRequest, reply: FastifyReply) => {
      const body =
        error.code === 'FST_ERR_MAX_PARAM_LENGTH'
          ? problem(414, 'uri-too-long', 'A part of this address is too long to be anything here.')
          : problem(400, 'invalid-url', 'This address is not a valid URL (bad percent-encoding).');
      void reply.code(body.status).type('application/problem+json').send(body);
    },
    // Kept on the raw request too, where pino-http looks for it.
    genReqId: (req: { headers: IncomingHttpHeaders; id?: unknown }) => (req.id = correlationIdFrom(req.headers)),
  });
}

/**
 * NestFactory.create's options for the api (app.factory.ts and the in-process test app alike).
 * `rawBody`: JSON bodies keep their exact bytes as `request.rawBody`, which a signed webhook is
 * verified against (the telephony HMAC: re-serialising the parsed body would not give the same bytes).
 */
export const API_APP_OPTIONS = { bufferLogs: true, rawBody: true } as const;

/** Logging and the request log line; in-process tests call it too (they skip Swagger and bull-board, which Jest cannot load). */
export function useApiLogging(app: NestFastifyApplication): void {
  app.useLogger(app.get(Logger));
  installRequestLog(app.getHttpAdapter().getInstance());
}

/** The request's correlation id (its Fastify id): commands store it in their events' metadata, so a log line and the events it caused share one id. */
export const CorrelationId = createParamDecorator(
  (_: unknown, ctx: ExecutionContext): string => ctx.switchToHttp().getRequest<{ id: string }>().id,
);

/** Who sends a command, and the request's correlation id (see CommandCaller). */
export interface Caller {
  actor: AuthUser;
  correlationId: string;
}

/**
 * The signed-in caller (set by AuthGuard) and the correlation id as one parameter, for the command
 * routes: Nest resolves every handler parameter with promises of its own (~4 each), so the two
 * together cost half what @CurrentUser() and @CorrelationId() cost apart.
 */
export const CommandCaller = createParamDecorator((_: unknown, ctx: ExecutionContext): Caller => {
  const request = ctx.switchToHttp().getRequest<{ id: string; user: AuthUser }>();
  return { actor: request.user, correlationId: request.id };
});

/**
 * helmet's security headers on every answer, as @fastify/helmet set them, computed once: with
 * static options they are the same for every request, and @fastify/helmet built a new helmet
 * (parsing the CSP directives) and ran two hooks per request (~3% of the api's CPU under load).
 * `relaxed` gives other headers to one path prefix (Swagger UI, which needs inline scripts).
 */
export function installSecurityHeaders(
  fastify: FastifyInstance,
  options: HelmetOptions,
  relaxed?: { prefix: string; options: HelmetOptions },
): void {
  const strict = helmetHeaders(options);
  const loose = relaxed ? helmetHeaders(relaxed.options) : strict;
  fastify.addHook('onRequest', (request, reply, done) => {
    reply.headers(relaxed && request.url.startsWith(relaxed.prefix) ? loose : strict);
    done();
  });
}

function helmetHeaders(options: HelmetOptions): Record<string, string> {
  const headers: Record<string, string> = {};
  const collect = {
    setHeader: (name: string, value: string) => void (headers[name] = value),
    removeHeader: () => undefined, // X-Powered-By: Fastify never sets it
  };
  helmet(options)({} as IncomingMessage, collect as unknown as ServerResponse, () => undefined);
  return headers;
}
