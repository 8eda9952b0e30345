import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { DestinationStream } from 'pino';
import type { Params } from 'nestjs-pino';
import type { AppConfig } from './config';

/**
 * Structured JSON logs (pino); readable lines when a person is watching a terminal in development
 * (`npm start` in a shell: the apps inherit its terminal). `destination` lets tests capture lines.
 *
 * No request or response objects are ever serialised: headers carry tokens and cookies, URLs carry
 * query strings (?access_token=) and bodies carry children's data. The api writes its own single
 * line per request (apps/api/src/common/request-log.ts) with the request's `correlationId`; an
 * application line about a request carries it too, passed where the line is written (ADR 0029).
 */
export function loggerOptions(config: AppConfig, app: 'api' | 'worker', destination?: DestinationStream): Params {
  const pretty = !destination && config.NODE_ENV === 'development' && process.stdout.isTTY;
  const options = {
    level: config.LOG_LEVEL,
    base: { app },
    autoLogging: false,
    quietReqLogger: true,
    customAttributeKeys: { reqId: 'correlationId' },
    // Fastify's genReqId already put the correlation id on the raw request; this is the fallback.
    genReqId: (req: { id?: unknown; headers: IncomingHttpHeaders }) =>
      typeof req.id === 'string' ? req.id : correlationIdFrom(req.headers),
    redact: ['req.headers.authorization', 'req.headers.cookie'],
    ...(pretty
      ? { transport: { target: 'pino-pretty', options: { singleLine: true, translateTime: 'SYS:HH:MM:ss', ignore: 'pid,hostname' } } }
      : {}),
  };
  return { pinoHttp: destination ? [options, destination] : options };
}

/** Ids we accept from a caller: short, printable, no spaces or separators a log line could be split on. */
const WELL_FORMED_ID = /^[A-Za-z0-9._:-]{8,128}$/;

/**
 * The request's correlation id: the caller's X-Correlation-Id, else its X-Request-Id (a proxy's),
 * when well-formed; otherwise a new UUID. A malformed one is replaced, never trusted into the logs.
 */
export function correlationIdFrom(headers: IncomingHttpHeaders): string {
  for (const name of ['x-correlation-id', 'x-request-id']) {
    const value = headers[name];
    if (typeof value === 'string' && WELL_FORMED_ID.test(value)) return value;
  }
  return randomUUID();
}
