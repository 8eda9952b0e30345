import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import type { AppConfig } from '@send/platform';
import { AppModule } from './app.module';
import type { ParameterObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';
import { openApiComponents, SIGNED_WEBHOOK_SCHEME } from './common/openapi';

/**
 * The OpenAPI document served at /api/docs/openapi.json (and written by `npm run openapi`): what
 * Nest finds on the controllers, plus every zod schema they name, as components.
 */
export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('SEND case communication API')
    .setDescription(
      'Contact requests, attempts, responses, queues, alerts and SLA dashboards for a council SEND service. ' +
        'Sign in with POST /api/auth/login and send `Authorization: Bearer <token>`; errors are RFC 9457 problem+json.',
    )
    .setVersion('1')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'The token from POST /api/auth/login' })
    .addApiKey(
      {
        type: 'apiKey',
        in: 'header',
        name: 'X-Signature',
        description: '`sha256=<hex HMAC-SHA256 of the raw body>` with the shared secret (TELEPHONY_SECRET)',
      },
      SIGNED_WEBHOOK_SCHEME,
    )
    .build();
  const document = SwaggerModule.createDocument(app, config, {
    // "requests_submit" rather than "RequestsController_submit": generated clients name methods after it.
    operationIdFactory: (controller, method) => `${controller.replace(/Controller$/, '').toLowerCase()}_${method}`,
  });
  document.components = { ...document.components, schemas: { ...document.components?.schemas, ...openApiComponents() } };
  for (const path of Object.values(document.paths)) {
    for (const operation of Object.values(path) as Array<{ parameters?: unknown[] }>) {
      if (operation?.parameters) operation.parameters = withoutRepeatedHeaders(operation.parameters as ParameterObject[]);
    }
  }
  return document;
}

/**
 * The same document without running anything (`npm run openapi`): Nest's preview mode wires the
 * modules without creating providers, so nothing connects to Redis or opens the event store.
 */
export async function previewOpenApiDocument(config: AppConfig): Promise<OpenAPIObject> {
  const app = await NestFactory.create(AppModule.forRoot(config), new FastifyAdapter(), { preview: true, logger: false });
  return buildOpenApiDocument(app);
}

/**
 * `@Headers('idempotency-key')` makes Nest list the header a second time, lower-cased and without a
 * description; header names are case-insensitive, so keep the described one.
 */
function withoutRepeatedHeaders(parameters: ParameterObject[]): ParameterObject[] {
  const described = new Set(parameters.filter((p) => p.in === 'header' && p.description).map((p) => p.name.toLowerCase()));
  return parameters.filter((p) => p.in !== 'header' || p.description || !described.has(p.name.toLowerCase()));
}
