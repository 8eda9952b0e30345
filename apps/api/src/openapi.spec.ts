import 'reflect-metadata';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import OpenAPISchemaValidator from 'openapi-schema-validator';
import type { HealthCheckResult } from '@nestjs/terminus';
import type { z } from 'zod';
import type { LiveAlert } from '@send/notifications';
import type { AppConfig } from '@send/platform';
import type { RequestView } from '@send/read-models';
import type { AcknowledgeEscalationHandler } from './alerts/acknowledge-escalation.handler';
import type { AlertsController } from './alerts/alerts.controller';
import { alertItemSchema } from './alerts/dto/alert-item.dto';
import { liveAlertSchema } from './alerts/dto/live-alert.dto';
import { previewOpenApiDocument } from './openapi-document';
import type { AuthController } from './auth/auth.controller';
import { loginAnswerSchema } from './auth/dto/login.dto';
import { problemSchema } from './common/openapi';
import type { Problem } from './common/problem';
import type { DashboardController } from './dashboard/dashboard.controller';
import { slaDashboardSchema } from './dashboard/dto/sla-dashboard.dto';
import { healthSchema } from './health/dto/health.dto';
import type { HealthController } from './health/health.controller';
import type { QueueEntry } from './queue/dto/queue-entry.dto';
import type { QueueController } from './queue/queue.controller';
import type { AssignRequestHandler } from './requests/assign-request.handler';
import {
  recordAttemptAnswerSchema,
  recordResponseAnswerSchema,
  requestViewSchema,
  timelineEntrySchema,
} from './requests/dto/request-view.dto';
import type { RecordAttemptHandler } from './requests/record-attempt.handler';
import type { RecordFailedCallBackHandler } from './requests/record-failed-call-back.handler';
import type { RecordResponseHandler } from './requests/record-response.handler';
import type { RequestsController } from './requests/requests.controller';
import type { ResolveRequestHandler } from './requests/resolve-request.handler';
import type { RouteRequestHandler } from './requests/route-request.handler';
import type { SubmitRequestHandler } from './requests/submit-request.handler';
import type { GetTimelineHandler } from './requests/timeline.query';
import { nestRoutes, toOpenApiPath, type NestRoute } from '../../../test/support/nest-routes';
import { wholeApi, type WholeApi } from '../../../test/support/whole-api';

// bull-board's Fastify adapter loads an ES module Jest cannot require; it serves /admin/queues,
// outside the API this document describes, so the spec builds the app without it.
jest.mock('./admin/queues-board', () => ({ mountQueuesBoard: async () => async () => undefined }));
// The same for @fastify/static's content-disposition (Swagger UI's assets): only file downloads use it.
jest.mock('content-disposition', () => () => 'attachment');

// Compile-time: each answer schema and the type the code returns agree (tsc fails otherwise), so the
// document cannot drift from the code. `Same` is mutual assignability: a field missing, added,
// optional or differently typed on either side fails; `Fits` is one way, for documented subsets.
type IsAny<T> = 0 extends 1 & T ? true : false;
type Same<A, B> = IsAny<A> extends true ? false : [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Fits<A, B> = IsAny<A> extends true ? false : [A] extends [B] ? true : false;
type Answer<F extends (...args: never[]) => unknown> = Awaited<ReturnType<F>>;
type Item<F extends (...args: never[]) => unknown> = Answer<F> extends Array<infer T> ? T : never;

type Agree<T extends true> = T;
export type AnswersMatchTheirSchemas = [
  Agree<Same<z.output<typeof requestViewSchema>, RequestView>>,
  Agree<Same<Answer<RequestsController['get']>, z.output<typeof requestViewSchema>>>,
  Agree<Same<Item<RequestsController['list']>, z.output<typeof requestViewSchema>>>,
  Agree<Same<Answer<SubmitRequestHandler['execute']>, z.output<typeof requestViewSchema>>>,
  Agree<Same<Answer<AssignRequestHandler['execute']>, z.output<typeof requestViewSchema>>>,
  Agree<Same<Answer<RouteRequestHandler['execute']>, z.output<typeof requestViewSchema>>>,
  Agree<Same<Answer<ResolveRequestHandler['execute']>, z.output<typeof requestViewSchema>>>,
  Agree<Same<Answer<RecordFailedCallBackHandler['execute']>, z.output<typeof requestViewSchema>>>,
  Agree<Same<Answer<AcknowledgeEscalationHandler['execute']>, z.output<typeof requestViewSchema>>>,
  Agree<Same<Answer<RecordAttemptHandler['execute']>, z.output<typeof recordAttemptAnswerSchema>>>,
  Agree<Same<Answer<RecordResponseHandler['execute']>, z.output<typeof recordResponseAnswerSchema>>>,
  Agree<Same<Item<GetTimelineHandler['execute']>, z.output<typeof timelineEntrySchema>>>,
  // Queues document the slim entry; today's full views carry every field of it.
  Agree<Fits<Item<QueueController['mine']>, QueueEntry>>,
  Agree<Fits<Item<QueueController['team']>, QueueEntry>>,
  Agree<Fits<Item<QueueController['triage']>, QueueEntry>>,
  Agree<Same<Item<AlertsController['list']>, z.output<typeof alertItemSchema>>>,
  Agree<Same<z.output<typeof liveAlertSchema>, LiveAlert>>,
  Agree<Same<Answer<DashboardController['sla']>, z.output<typeof slaDashboardSchema>>>,
  Agree<Same<Answer<AuthController['login']>, z.output<typeof loginAnswerSchema>>>,
  // Terminus types info and error as Partial<details> (values possibly undefined, never so in JSON): details stands for them.
  Agree<Fits<Pick<Answer<HealthController['check']>, 'status' | 'details'>, Pick<z.output<typeof healthSchema>, 'status' | 'details'>>>,
  Agree<Fits<z.output<typeof healthSchema>, HealthCheckResult>>,
  Agree<Same<z.output<typeof problemSchema>, Problem>>,
];

type Operation = {
  parameters?: Array<{ name: string; in: string; required?: boolean; schema?: unknown }>;
  requestBody?: { content?: Record<string, { schema?: unknown }> };
  responses: Record<string, { description: string; content?: Record<string, { schema?: unknown }>; headers?: Record<string, unknown> }>;
  security?: unknown[];
};
type Document = { openapi: string; paths: Record<string, Record<string, Operation>>; components: { schemas: Record<string, unknown> } };

describe('OpenAPI document (/api/docs/openapi.json)', () => {
  let app: NestFastifyApplication;
  let doc: Document;
  let routes: NestRoute[];
  let api: WholeApi;
  let config: AppConfig;

  beforeAll(async () => {
    api = await wholeApi({ DEMO: 'true', DEMO_DATA: 'false' });
    ({ app, config } = api);
    const res = await app.inject({ method: 'GET', url: '/api/docs/openapi.json' });
    expect(res.statusCode).toBe(200);
    doc = res.json();
    if (process.env.OPENAPI_DUMP) require('node:fs').writeFileSync(process.env.OPENAPI_DUMP, JSON.stringify(doc, null, 2));
    routes = nestRoutes(app).filter((r) => r.path.startsWith('/api/') || r.path === '/health');
  });

  afterAll(() => api?.close());

  const operations = () =>
    Object.entries(doc.paths).flatMap(([path, methods]) => Object.entries(methods).map(([method, op]) => ({ path, method, op })));
  const operation = (method: string, path: string) => doc.paths[path]?.[method];

  it('is a valid OpenAPI document for the version it declares', () => {
    expect(doc.openapi).toMatch(/^3\.0\./);
    const { errors } = new OpenAPISchemaValidator({ version: 3 }).validate(doc as never);
    expect(errors).toEqual([]);
  });

  it('is the document `npm run openapi` writes, which it builds without connecting to anything', async () => {
    expect(JSON.parse(JSON.stringify(await previewOpenApiDocument(config)))).toEqual(doc);
  });

  it('describes every route Nest serves under /api, and /health, with its method', () => {
    expect(routes.length).toBeGreaterThanOrEqual(17);
    const missing = routes.filter((r) => !operation(r.method, toOpenApiPath(r.path))).map((r) => `${r.method.toUpperCase()} ${r.path}`);
    expect(missing).toEqual([]);
  });

  it('describes no operation that is not a route Fastify serves', () => {
    const fastify = app.getHttpAdapter().getInstance();
    const served = new Set(routes.map((r) => `${r.method} ${toOpenApiPath(r.path)}`));
    const phantom = operations().filter(
      ({ path, method }) =>
        !served.has(`${method} ${path}`) ||
        !fastify.hasRoute({ method: method.toUpperCase() as 'GET', url: path.replace(/\{([^}]+)\}/g, ':$1') }),
    );
    expect(phantom.map(({ method, path }) => `${method} ${path}`)).toEqual([]);
  });

  it('gives every operation a success answer with a body schema (an event stream as text/event-stream)', () => {
    const undescribed = operations().filter(({ op }) => {
      const success = Object.entries(op.responses).filter(([status]) => /^2\d\d$/.test(status));
      if (success.length === 0) return true;
      return success.some(([status, response]) => {
        if (status === '204') return !response.description;
        const content = Object.entries(response.content ?? {});
        return content.length === 0 || content.some(([, media]) => !media.schema);
      });
    });
    expect(undescribed.map(({ method, path }) => `${method} ${path}`)).toEqual([]);
    expect(operation('get', '/api/alerts/stream')!.responses['200'].content).toEqual({
      'text/event-stream': { schema: { type: 'string' }, 'x-event-data': { $ref: '#/components/schemas/LiveAlert' } },
    });
  });

  it('gives every route that reads a body a JSON request body schema', () => {
    const readers = routes.filter((r) => r.readsBody);
    expect(readers.length).toBeGreaterThanOrEqual(7);
    const without = readers.filter((r) => !operation(r.method, toOpenApiPath(r.path))?.requestBody?.content?.['application/json']?.schema);
    expect(without.map((r) => r.path)).toEqual([]);
  });

  it('lists the Idempotency-Key header on every command, and only there', () => {
    const header = (op: Operation) => op.parameters?.find((p) => p.in === 'header' && p.name === 'Idempotency-Key');
    const headerNames = (op: Operation) => (op.parameters ?? []).filter((p) => p.in === 'header').map((p) => p.name.toLowerCase());
    // Header names are case-insensitive: one listed twice would be two parameters to a generated client.
    for (const { op } of operations()) expect(new Set(headerNames(op)).size).toBe(headerNames(op).length);
    const commands = routes.filter((r) => r.readsIdempotencyKey);
    expect(commands.length).toBeGreaterThanOrEqual(7);
    for (const r of routes)
      expect([`${r.method} ${r.path}`, !!header(operation(r.method, toOpenApiPath(r.path))!)]).toEqual([
        `${r.method} ${r.path}`,
        r.readsIdempotencyKey,
      ]);
  });

  it('asks for the bearer token on every route but sign-in and health', () => {
    const open = operations()
      .filter(({ op }) => !op.security?.length)
      .map(({ method, path }) => `${method} ${path}`);
    expect(open.sort()).toEqual(['get /health', 'post /api/auth/login']);
    expect(doc.components).toMatchObject({ securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } });
  });

  it.each(['/api/requests', '/api/queue', '/api/queue/team', '/api/alerts'])(
    'describes %s as a paged list: limit, cursor, Link',
    (path) => {
      const op = operation('get', path)!;
      const param = (name: string) => op.parameters?.find((p) => p.in === 'query' && p.name === name);
      expect(param('limit')).toMatchObject({ required: false, schema: { type: 'integer', minimum: 1, maximum: 500, default: 100 } });
      expect(param('cursor')).toMatchObject({ required: false, schema: { type: 'string' } });
      const ok = op.responses['200'];
      expect(ok.headers).toHaveProperty('Link');
      expect(ok.content!['application/json'].schema).toMatchObject({
        type: 'array',
        items: { $ref: expect.stringMatching(/^#\/components\/schemas\//) },
      });
    },
  );

  it('answers errors as application/problem+json with the Problem schema', () => {
    const errors = operations().flatMap(({ op }) => Object.entries(op.responses).filter(([status]) => /^[45]\d\d$/.test(status)));
    expect(errors.length).toBeGreaterThan(0);
    for (const [, response] of errors)
      expect(response.content).toEqual({ 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } });
    expect(operation('post', '/api/requests/{id}/resolve')!.responses).toEqual(
      expect.objectContaining({
        '400': expect.anything(),
        '401': expect.anything(),
        '403': expect.anything(),
        '404': expect.anything(),
        '409': expect.anything(),
        '422': expect.anything(),
      }),
    );
  });

  it('names the answers and bodies as components, and every reference resolves', () => {
    expect(Object.keys(doc.components.schemas)).toEqual(
      expect.arrayContaining([
        'RequestView',
        'TimelineEntry',
        'QueueEntry',
        'AlertItem',
        'SlaDashboard',
        'LoginAnswer',
        'Problem',
        'Health',
        'SubmitRequest',
      ]),
    );
    const refs = JSON.stringify(doc).match(/"\$ref":"[^"]+"/g) ?? [];
    const unresolved = refs
      .map((r) => r.slice(8, -1))
      .filter((ref) => !(ref.replace('#/components/schemas/', '') in doc.components.schemas));
    expect(unresolved).toEqual([]);
  });

  it('shows a field with a default as optional to send (input) but always answered (output)', () => {
    expect(doc.components.schemas.SubmitRequest).toMatchObject({ required: ['category', 'subject', 'message'] });
    expect((doc.components.schemas.RequestView as { required: string[] }).required).toEqual(
      expect.arrayContaining(['channel', 'priority']),
    );
  });

  describe('answers match the schemas the document is generated from', () => {
    const matches = (schema: z.ZodType, body: unknown) => {
      const result = schema.safeParse(body);
      return result.success ? 'matches' : result.error.issues;
    };
    const call = async (method: 'GET' | 'POST', url: string, token?: string, payload?: object) => {
      const res = await app.inject({ method, url, payload, headers: token ? { authorization: `Bearer ${token}` } : {} });
      return { status: res.statusCode, type: String(res.headers['content-type']), body: res.json() };
    };
    let token: string;

    beforeAll(async () => {
      const login = await call('POST', '/api/auth/login', undefined, { email: 'parent@example.org', password: 'demo' });
      expect(matches(loginAnswerSchema, login.body)).toBe('matches');
      token = login.body.token;
    });

    it('a submitted request, its view, its timeline and an attempt', async () => {
      const submitted = await call('POST', '/api/requests', token, {
        category: 'transport',
        subject: 'Bus pass',
        message: 'The bus has not come.',
      });
      expect(submitted.status).toBe(201);
      expect(matches(requestViewSchema, submitted.body)).toBe('matches');
      const id = submitted.body.id as string;
      expect(matches(requestViewSchema, (await call('GET', `/api/requests/${id}`, token)).body)).toBe('matches');
      const attempt = await call('POST', `/api/requests/${id}/attempts`, token, { channel: 'phone' });
      expect(attempt.status).toBe(201);
      expect(matches(recordAttemptAnswerSchema, attempt.body)).toBe('matches');
      const timeline = await call('GET', `/api/requests/${id}/timeline`, token);
      expect(timeline.body.length).toBeGreaterThanOrEqual(2);
      for (const entry of timeline.body) expect(matches(timelineEntrySchema, entry)).toBe('matches');
    });

    it('errors and health', async () => {
      const invalid = await call('POST', '/api/requests', token, { category: 'nonsense' });
      expect([invalid.status, invalid.type.split(';')[0]]).toEqual([400, 'application/problem+json']);
      expect(matches(problemSchema, invalid.body)).toBe('matches');
      const health = await call('GET', '/health');
      expect(matches(health.status === 200 ? healthSchema : problemSchema, health.body)).toBe('matches');
    });
  });
});
