import helmet from '@fastify/helmet';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { SwaggerModule } from '@nestjs/swagger';
import { Logger } from 'nestjs-pino';
import type { AppConfig } from '@send/platform';
import { AppModule } from './app.module';
import { mountQueuesBoard } from './admin/queues-board';
import { buildOpenApiDocument } from './openapi-document';

/** Builds the api exactly as `main.ts` runs it; tests call it too. */
export async function createApiApp(config: AppConfig): Promise<NestFastifyApplication> {
  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule.forRoot(config),
    new FastifyAdapter({ trustProxy: true, bodyLimit: 1_048_576 }),
    { bufferLogs: true },
  );
  app.useLogger(app.get(Logger));
  app.enableShutdownHooks();
  await app.register(helmet, {
    // Swagger UI at /api/docs needs inline styles and scripts; everything else stays strict.
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
        scriptSrc: ["'self'", "'unsafe-inline'"],
      },
    },
  });

  SwaggerModule.setup('api/docs', app, () => buildOpenApiDocument(app), { jsonDocumentUrl: 'api/docs/openapi.json' });

  const closeBoard = await mountQueuesBoard(app, config);
  app.getHttpAdapter().getInstance().addHook('onClose', closeBoard);

  await app.init();
  return app;
}
