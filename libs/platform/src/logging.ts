import type { Params } from 'nestjs-pino';
import type { AppConfig } from './config';

/** Structured JSON logs (pino); readable lines when a person is watching a terminal in development. */
export function loggerOptions(config: AppConfig, app: 'api' | 'worker'): Params {
  const pretty = config.NODE_ENV === 'development' && process.stdout.isTTY;
  return {
    pinoHttp: {
      level: config.LOG_LEVEL,
      base: { app },
      // Never log tokens or bodies: requests carry children's personal data.
      redact: ['req.headers.authorization', 'req.headers.cookie'],
      autoLogging: { ignore: (req) => req.url === '/health' },
      // Log the path only: a query string may carry a token (?access_token= for live alerts).
      serializers: {
        req: (req: { id: unknown; method: string; url: string }) => ({ id: req.id, method: req.method, url: req.url.split('?')[0] }),
      },
      ...(pretty ? { transport: { target: 'pino-pretty', options: { singleLine: true, translateTime: 'SYS:HH:MM:ss' } } } : {}),
    },
  };
}
