import { NestFactory } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { SwaggerModule } from '@nestjs/swagger';
import type { DestinationStream } from 'pino';
import type { AppConfig } from '@send/platform';
import { AppModule } from './app.module';
import { mountQueuesBoard } from './admin/queues-board';
import { API_APP_OPTIONS, apiHttpAdapter, installSecurityHeaders, useApiLogging } from './common/api-http';
import { buildOpenApiDocument } from './openapi-document';
import { installWebPages } from './web/web-http';

export interface ApiAppOptions {
  /** Where log lines go instead of stdout (tests read them). */
  logDestination?: DestinationStream;
}

/** Builds the api exactly as `main.ts` runs it; e2e tests run it built. */
export async function createApiApp(config: AppConfig, options: ApiAppOptions = {}): Promise<NestFastifyApplication> {
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config, options), apiHttpAdapter(config.TRUSTED_PROXIES), API_APP_OPTIONS);
  useApiLogging(app);
  app.enableShutdownHooks();
  // Scripts only from this origin's files (the pages have no inline script; their data travels in
  // type="application/json" blocks); Swagger UI at /api/docs alone needs inline scripts.
  const directives = { defaultSrc: ["'self'"], styleSrc: ["'self'", "'unsafe-inline'"], imgSrc: ["'self'", 'data:'], scriptSrc: ["'self'"] };
  installSecurityHeaders(
    app.getHttpAdapter().getInstance(),
    { contentSecurityPolicy: { directives } },
    { prefix: '/api/docs', options: { contentSecurityPolicy: { directives: { ...directives, scriptSrc: ["'self'", "'unsafe-inline'"] } } } },
  );

  SwaggerModule.setup('api/docs', app, () => buildOpenApiDocument(app), { jsonDocumentUrl: 'api/docs/openapi.json' });

  // The GOV.UK pages' plugins (views, assets, cookies, CSRF, sign-in limit): before init, which mounts the routes.
  await installWebPages(app, config);

  const closeBoard = await mountQueuesBoard(app, config);
  app.getHttpAdapter().getInstance().addHook('onClose', closeBoard);

  await app.init();
  return app;
}
