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
      ...(pretty ? { transport: { target: 'pino-pretty', options: { singleLine: true, translateTime: 'SYS:HH:MM:ss' } } } : {}),
    },
  };
}
