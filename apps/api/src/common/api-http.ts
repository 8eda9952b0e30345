import type { IncomingHttpHeaders } from 'node:http';
import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Logger } from 'nestjs-pino';
import { correlationIdFrom } from '@send/platform';
import { installRequestLog } from './request-log';

/** The Fastify adapter the api runs on: the request id is the correlation id (see correlationIdFrom). */
export function apiHttpAdapter(): FastifyAdapter {
  return new FastifyAdapter({
    trustProxy: true,
    bodyLimit: 1_048_576,
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
