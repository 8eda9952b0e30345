import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import Redis from 'ioredis';
import { JwtService } from '@nestjs/jwt';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { userIdFor } from '@send/domain';
import type { EventStore } from '@send/event-store';
import { EVENT_STORE } from '@send/platform';
import { allProjections, PROJECTIONS_NAME, Projector } from '@send/read-models';
import { projectAll } from '@send/read-models/testing/read-model-fixtures';
import { encodeCursor } from '../../apps/api/src/common/paging';
import type { Role } from '../../apps/api/src/auth/roles';
import { isPagePath } from '../../apps/api/src/web/page-paths';
import { nestRoutes, toOpenApiPath, type NestRoute } from '../support/nest-routes';
import { wholeApi, type WholeApi } from '../support/whole-api';

// bull-board's Fastify adapter is an ES module Jest cannot load (/admin/queues is not fuzzed here:
// it is bull-board's, behind an administrator's session); content-disposition likewise (file downloads).
jest.mock('../../apps/api/src/admin/queues-board', () => ({ mountQueuesBoard: async () => async () => undefined }));
jest.mock('content-disposition', () => () => 'attachment');

/**
 * The fuzz proof (issue 13): generated hostile requests on every route the app serves (each Nest
 * route, from the controllers' metadata, with what the OpenAPI document says of it; the static
 * assets; Swagger UI), through the whole app as `npm start` builds it (createApiApp, answering
 * through Fastify's inject) over a real SQLite store and a Redis of its own. Every answer must be
 * one the route may give (the rules at problemsWith below), never 5xx, and a refused request must leave the event
 * store's head where it was. The seed is pinned and printed; FUZZ_SEED and FUZZ_RUNS change them.
 */
const SEED = Number(process.env.FUZZ_SEED ?? 20261213);
/** `npm test` runs 2,000 (about 13 s of CPU here); `npm run test:fuzz` the full 10,000 (about 65 s). */
const RUNS = Number(process.env.FUZZ_RUNS ?? 2_000);
/** FUZZ_SURVEY=1: run every case and list each distinct problem once, rather than stopping at the first (finding bugs, not proving). */
const SURVEY = !!process.env.FUZZ_SURVEY;
const survey = new Map<string, string>();
const TELEPHONY_SECRET = 'fuzz-telephony-secret-0123456789';
const WRONG_SECRET = 'not-the-secret-of-this-api-0123456789';
/** A request that has not answered by then is a hang (a stream the generator should not have opened, or a bug). */
const ANSWER_WITHIN_MS = 15_000;

const USERS: Array<{ email: string; role: Role; teamId?: string }> = [
  { email: 'parent@example.org', role: 'parent' },
  { email: 'senco@example.org', role: 'school' },
  { email: 'officer@example.org', role: 'officer', teamId: 'north' },
  { email: 'officer3@example.org', role: 'officer', teamId: 'south' },
  { email: 'manager@example.org', role: 'team_manager', teamId: 'north' },
  { email: 'service.manager@example.org', role: 'service_manager' },
  { email: 'head@example.org', role: 'head_of_service' },
  { email: 'admin@example.org', role: 'admin' },
  { email: 'dpo@example.org', role: 'dpo' },
  // Not a demo account: a professional the read model does not know (a fresh token of one stands).
  { email: 'professional@example.org', role: 'professional' },
];

type Method = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'DELETE' | 'PATCH' | 'OPTIONS';

/** One route to fuzz and what it may answer. */
interface Target {
  method: Method;
  /** Nest's form, /api/requests/:id */
  path: string;
  params: string[];
  page: boolean;
  /** Anyone may call it: a 2xx needs no credential. */
  isPublic: boolean;
  /** Success statuses it may answer (API: the OpenAPI document's 2xx; pages: see ALLOWED). */
  success: number[];
  /** Field names its body has (the OpenAPI schema, the API twin's for a page), to aim values at. */
  fields: Record<string, unknown>;
  /** A live stream for these roles (never opened: it would not end). */
  streamsFor: readonly Role[];
  kind: 'nest' | 'static' | 'docs';
}

type Credential =
  | { kind: 'none' }
  | { kind: 'raw'; header: string }
  | { kind: 'token'; who: number; how: 'valid' | 'wrong-secret' | 'alg-none' | 'expired' | 'tampered' | 'bad-role' | 'hs512' | 'not-yet' };

interface HostileCall {
  target: number;
  methodLie: Method | null;
  params: string[];
  query: Array<[string, string]>;
  credential: Credential;
  /** Pages: the session cookie carries the credential; the API: the Authorization header (and a stray cookie). */
  csrf: 'none' | 'valid' | 'token-only' | 'cookie-only' | 'wrong';
  body: { contentType: string | null; payload: string } | null;
  headers: Record<string, string>;
  signed: 'none' | 'right' | 'wrong' | 'garbage';
  remoteAddress: string;
}

let app: NestFastifyApplication;
let store: EventStore;
let api: WholeApi;
let targets: Target[];
let tokens: Record<string, string>;
let csrf: { cookie: string; token: string };
let knownIds: string[];
const accepted: string[] = [];
const errorLines: string[] = [];
let stopProjecting: (() => Promise<void>) | undefined;

beforeAll(async () => {
  api = await wholeApi(
    // Errors only, kept in memory: a 5xx's failure message shows what the api logged for it.
    { LOG_LEVEL: 'error', DEMO: 'true', DEMO_DATA: 'false', TELEPHONY_SECRET },
    { logDestination: { write: (line: string) => void errorLines.push(line) } },
  );
  app = api.app;
  store = app.get(EVENT_STORE);
  const jwt = app.get(JwtService);

  // Valid tokens of each role, and the hostile variants, made once.
  tokens = {};
  const claims = (u: (typeof USERS)[number]) => ({
    sub: userIdFor(u.email),
    email: u.email,
    name: `Name of ${u.email}`,
    role: u.role,
    teamId: u.teamId ?? null,
  });
  const wrong = new JwtService({ secret: WRONG_SECRET });
  const right = new JwtService({ secret: api.config.JWT_SECRET });
  const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  for (const [i, u] of USERS.entries()) {
    const valid = await jwt.signAsync(claims(u));
    const [h, , s] = valid.split('.');
    tokens[`${i}:valid`] = valid;
    tokens[`${i}:wrong-secret`] = await wrong.signAsync(claims(u));
    tokens[`${i}:alg-none`] = `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ ...claims(u), iat: now, exp: now + 3600 })}.`;
    tokens[`${i}:expired`] = await right.signAsync({ ...claims(u), iat: now - 7200, exp: now - 3600 });
    tokens[`${i}:tampered`] = `${h}.${b64({ ...claims(u), role: 'admin', iat: now, exp: now + 3600 })}.${s}`;
    tokens[`${i}:bad-role`] = await right.signAsync({ ...claims(u), role: i % 2 ? 'system' : ['admin'] });
    tokens[`${i}:hs512`] = await right.signAsync(claims(u), { algorithm: 'HS512' });
    tokens[`${i}:not-yet`] = await right.signAsync({ ...claims(u), nbf: now + 3600 });
  }

  // The demo accounts and cases in the read models (scope, routing, session standing), and a few
  // requests, so hostile input with a good token reaches the handlers behind the ids.
  const projectorRedis = new Redis(api.redisUrl);
  const projector = new Projector(PROJECTIONS_NAME, projectorRedis, allProjections());
  await projectAll(store, projector);
  knownIds = [];
  for (const [who, body] of [
    [0, { category: 'transport', subject: 'Bus pass', message: 'The bus has not come.' }],
    [
      2,
      {
        caseRef: 'C-1001',
        category: 'general',
        subject: 'On behalf',
        message: 'Call back.',
        requester: { role: 'parent', name: 'Pat', email: 'parent@example.org' },
      },
    ],
    [1, { category: 'placement', subject: 'Triage', message: 'Which school?' }],
  ] as const) {
    const res = await app.inject({
      method: 'POST',
      url: '/api/requests',
      headers: { authorization: `Bearer ${tokens[`${who}:valid`]}` },
      payload: body,
    });
    expect(res.statusCode).toBe(201);
    knownIds.push(res.json().id);
  }
  await projectAll(store, projector);
  // And live from here, as the worker would: an accepted write shows in the read models (the pages
  // wait for that before redirecting), and later calls see it.
  const live = store.subscribeToAll({ from: await store.headPosition() });
  const projecting = (async () => {
    for await (const event of live) await projector.handle(event);
  })();
  stopProjecting = async () => {
    await live.close();
    await projecting;
    await projectorRedis.quit();
  };

  // A CSRF secret cookie and a token made from it, as the sign-in page hands them out.
  const signInPage = await app.inject({ method: 'GET', url: '/sign-in' });
  const cookie = [signInPage.headers['set-cookie']].flat().find((c) => c?.startsWith('_csrf='))!;
  csrf = { cookie: cookie.split(';')[0], token: /name="_csrf" value="([^"]+)"/.exec(signInPage.body)![1] };

  targets = await routesToFuzz();
}, 120_000);

afterAll(async () => {
  await stopProjecting?.();
  await api?.close();
});

/** Every route: Nest's (API and pages) with what the OpenAPI document says of it, the static prefixes, Swagger UI. */
async function routesToFuzz(): Promise<Target[]> {
  const doc = (await app.inject({ method: 'GET', url: '/api/docs/openapi.json' })).json() as OpenApi;
  const routes = nestRoutes(app);
  const resolve = (schema: unknown): Record<string, unknown> => {
    const ref = (schema as { $ref?: string })?.$ref;
    const s = (ref ? doc.components.schemas[ref.split('/').pop()!] : schema) as { properties?: Record<string, unknown> } | undefined;
    return s?.properties ?? {};
  };
  const byPath = new Map(routes.map((r) => [`${r.method} ${r.path}`, r]));
  const result: Target[] = routes.map((r: NestRoute) => {
    const page = isPagePath(r.path);
    const op = doc.paths[toOpenApiPath(r.path)]?.[r.method];
    // A page's API twin (/requests/:id/attempts and /api/requests/:id/attempts): its body fields and whether it streams.
    const twin = page
      ? (byPath.get(`${r.method} /api${r.path}`) ?? byPath.get(`${r.method} /api${r.path.replace(/\/new$/, '')}`))
      : undefined;
    const twinOp = twin ? doc.paths[toOpenApiPath(twin.path)]?.[twin.method] : undefined;
    const schemaOf = (o?: Operation) => o?.requestBody?.content?.['application/json']?.schema;
    const stream = r.isStream || !!twin?.isStream;
    return {
      method: r.method.toUpperCase() as Method,
      path: r.path,
      params: [...r.path.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => m[1]),
      page,
      isPublic: r.isPublic,
      success: page
        ? [200]
        : Object.keys(op?.responses ?? { 200: {} })
            .filter((s) => /^2\d\d$/.test(s))
            .map(Number),
      fields: resolve(schemaOf(op) ?? schemaOf(twinOp)),
      streamsFor: stream ? ((r.isStream ? r.roles : twin?.roles) ?? []) : [],
      kind: 'nest',
    };
  });
  // Each operation in the document is a route found above (else the document and the router disagree).
  for (const [path, methods] of Object.entries(doc.paths))
    for (const method of Object.keys(methods))
      expect(result.some((t) => toOpenApiPath(t.path) === path && t.method === method.toUpperCase())).toBe(true);
  const get = (path: string, kind: Target['kind']): Target => ({
    method: 'GET',
    path,
    params: path.includes(':file') ? ['file'] : [],
    page: true,
    isPublic: true,
    success: [200],
    fields: {},
    streamsFor: [],
    kind,
  });
  for (const prefix of ['/assets', '/govuk', '/moj', '/web-assets', '/chart.js']) result.push(get(`${prefix}/:file`, 'static'));
  result.push(get('/api/docs', 'docs'), get('/api/docs/openapi.json', 'docs'), get('/no/such/:file', 'static'));
  return result;
}

interface Operation {
  requestBody?: { content?: Record<string, { schema?: unknown }> };
  responses: Record<string, unknown>;
}
interface OpenApi {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, unknown> };
}

// ---------------------------------------------------------------------------------------------
// Generators: hostile strings, values, bodies, queries, headers and credentials.

/** Lone surrogates replaced: encodeURIComponent throws on them (a client could not send them in a URL either). */
const wellFormed = (text: string) => text.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');

const HUGE = [1_000, 10_000, 100_000];
const nasty = fc.constantFrom(
  '',
  ' ',
  '\u0000',
  'null',
  'undefined',
  'NaN',
  '-1',
  '1e309',
  '0x10',
  "' OR 1=1 --",
  '"; DROP TABLE events; --',
  '<script>alert(1)</script>',
  '{{ 7*7 }}',
  '${7*7}',
  '../../../../etc/passwd',
  '..%2f..%2fetc%2fpasswd',
  '%00',
  '%E0%A4%A',
  '\uD800',
  '\uDFFF\uD800',
  '\u202Egnp.exe',
  '👩‍👩‍👧‍👦'.repeat(20),
  'Z̴̡̧͙̮͍̬̣̥ͬ̊̓̂a̷l̸g̷o̵',
  '\r\nSet-Cookie: session=x',
  'C-1001',
  'north',
  '__proto__',
  'constructor',
  'toString',
  'hasOwnProperty',
  '2026-02-30T25:61:00Z',
  '9999-12-31T23:59:59.999Z',
  '0000-01-01T00:00:00Z',
  '2026-12-01T10:00:00+14:00',
  'P1D',
  '+447700900101',
  '07700 900101',
  'parent@example.org',
  'a@b',
  'x'.repeat(65),
  'x'.repeat(201),
  'x'.repeat(2001),
);
const hostileString = fc.oneof(
  { weight: 4, arbitrary: nasty },
  { weight: 3, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 3, arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...HUGE), fc.constantFrom('a', 'é', '𝔘', '\u0000', '‮')).map(([n, c]) => c.repeat(n)) },
  { weight: 1, arbitrary: fc.uuid() },
);
/** Header values Node's HTTP parser lets through: visible ASCII, space, tab and obs-text (0x80-0xFF). */
const headerString = fc.oneof(
  fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 60 }),
  fc.constantFrom('', ' ', '\t', 'é£\u00ff', 'x'.repeat(8_000), 'x'.repeat(200), 'bearer', '../', '%00', 'null', '{"a":1}', '*/*;q=x'),
);
const prototypeKey = fc.constantFrom('__proto__', 'constructor', 'prototype');
const pollution = fc.constantFrom<unknown>(
  { polluted: 'yes', role: 'admin', isAdmin: true },
  { prototype: { polluted: 'yes' } },
  'polluted',
  null,
);

/** A JSON value of the wrong kind, or of the right kind with hostile content. */
const hostileValue: fc.Arbitrary<unknown> = fc.letrec<{ v: unknown }>((tie) => ({
  v: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    { weight: 6, arbitrary: hostileString },
    { weight: 1, arbitrary: fc.integer() },
    { weight: 1, arbitrary: fc.double() },
    { weight: 1, arbitrary: fc.constantFrom(0, -1, 1e308, Number.MAX_SAFE_INTEGER + 2, 0.5, -0) },
    { weight: 1, arbitrary: fc.boolean() },
    { weight: 1, arbitrary: fc.constant(null) },
    { weight: 1, arbitrary: fc.array(tie('v'), { maxLength: 3 }) },
    { weight: 1, arbitrary: fc.dictionary(fc.oneof(hostileString, prototypeKey), tie('v'), { maxKeys: 3 }) },
  ),
})).v;

/** Something plausible for a field, from its OpenAPI schema (an enum member, a date...), so one hostile field is not hidden behind another. */
function plausible(schema: unknown): fc.Arbitrary<unknown> {
  const s = (schema ?? {}) as {
    enum?: unknown[];
    type?: string;
    format?: string;
    properties?: Record<string, unknown>;
    items?: unknown;
    anyOf?: unknown[];
    oneOf?: unknown[];
  };
  if (s.enum?.length) return fc.constantFrom(...s.enum);
  const alternatives = s.anyOf ?? s.oneOf;
  if (alternatives?.length) return fc.oneof(...alternatives.map(plausible));
  if (s.format === 'date-time') return fc.constantFrom(new Date().toISOString(), new Date(Date.now() - 86_400_000).toISOString());
  if (s.format === 'email') return fc.constantFrom('parent@example.org', 'someone@example.org');
  if (s.format === 'uuid') return fc.oneof(fc.uuid(), fc.constantFrom(userIdFor('officer@example.org')));
  if (s.type === 'integer' || s.type === 'number') return fc.integer({ min: 0, max: 100 });
  if (s.type === 'boolean') return fc.boolean();
  if (s.type === 'array') return fc.array(plausible(s.items), { maxLength: 2 });
  if (s.type === 'object' || s.properties)
    return fc.record(Object.fromEntries(Object.entries(s.properties ?? {}).map(([k, v]) => [k, plausible(v)])), { requiredKeys: [] });
  return fc.oneof(fc.constantFrom('C-1001', 'north', 'Call me back please.'), fc.string({ minLength: 1, maxLength: 20 }));
}

/** JSON text whose keys may be __proto__ or constructor as own keys (JSON.stringify of an object literal would drop them). */
const jsonObjectText = (pairs: Array<[string, unknown]>) =>
  `{${pairs.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v) ?? 'null'}`).join(',')}}`;

const FIELD_POOL = [
  'email',
  'password',
  'caseRef',
  'category',
  'subject',
  'message',
  'channel',
  'priority',
  'outcome',
  'summary',
  'reason',
  'officerId',
  'teamId',
  'at',
  'kind',
  'awayFrom',
  'awayUntil',
  'csv',
  'idempotencyKey',
  'requester',
  'receivedAt',
  'withoutReply',
  'currentPassword',
  'newPassword',
];

function bodyFor(target: Target): fc.Arbitrary<HostileCall['body']> {
  const names = Object.keys(target.fields).length ? Object.keys(target.fields) : FIELD_POOL;
  const field = fc.constantFrom(...names);
  // A plausible body with some fields made hostile, extra or missing; or prototype keys among them.
  const pairs = fc
    .tuple(
      fc.record(Object.fromEntries(names.map((n) => [n, plausible(target.fields[n])])), { requiredKeys: [] }),
      fc.array(fc.tuple(fc.oneof({ weight: 3, arbitrary: field }, { weight: 1, arbitrary: hostileString }), hostileValue), {
        maxLength: 3,
      }),
      fc.oneof({ weight: 3, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.tuple(prototypeKey, pollution) }),
    )
    .map(([base, hostile, proto]) => {
      const merged = new Map<string, unknown>(Object.entries(base as Record<string, unknown>));
      for (const [k, v] of hostile) merged.set(k, v);
      const list = [...merged.entries()];
      if (proto) list.splice(list.length ? 1 : 0, 0, proto);
      return list;
    });
  const asForm = (list: Array<[string, unknown]>) =>
    list
      .flatMap(([k, v]) =>
        (Array.isArray(v) ? v : [v]).map(
          (x) =>
            `${encodeURIComponent(wellFormed(k))}=${encodeURIComponent(wellFormed(typeof x === 'string' ? x : (JSON.stringify(x) ?? '')))}`,
        ),
      )
      .join('&');
  const json = 'application/json';
  const form = 'application/x-www-form-urlencoded';
  const lies = fc.constantFrom(
    json,
    form,
    'text/csv',
    'text/plain',
    'multipart/form-data; boundary=x',
    'application/json; charset=utf-16',
    'application/xml',
    'application/problem+json',
    '*/*',
    'garbage',
    ';;;',
    'application/json, text/html',
  );
  return fc.oneof(
    { weight: 2, arbitrary: fc.constant(null) },
    // The content type the route reads, with a hostile body in it.
    {
      weight: 8,
      arbitrary: pairs.map((list) =>
        target.page ? { contentType: form, payload: asForm(list) } : { contentType: json, payload: jsonObjectText(list) },
      ),
    },
    // The body in one form, the Content-Type saying another.
    {
      weight: 2,
      arbitrary: fc
        .tuple(pairs, lies, fc.boolean())
        .map(([list, contentType, asJson]) => ({ contentType, payload: asJson ? jsonObjectText(list) : asForm(list) })),
    },
    // Not an object at all, broken JSON, a CSV for the import, nothing with a Content-Type, deep nesting, over the size limit.
    {
      weight: 3,
      arbitrary: fc.oneof(
        hostileValue.map((v) => ({ contentType: target.page ? form : json, payload: JSON.stringify(v) ?? '' })),
        fc
          .constantFrom('{', '{"a":', '[1,2', 'nul', '{"a":1}}', '\u0000', '', '{"a":1,"a":2}', '[]', '"x"', '1', 'true')
          .map((payload) => ({ contentType: json, payload })),
        fc
          .constantFrom(
            'caseRef,childName,teamId,caseOfficerEmail,contactName,relationship,contactEmail,contactPhone\n',
            'a,b\n"unterminated',
            '=cmd|/c calc!A1,x\n',
            '\uFEFF\n\n\n,,,,,,,,,,,,,',
          )
          .map((payload) => ({ contentType: 'text/csv', payload })),
        fc.constant({ contentType: null, payload: 'no content type' }),
        fc.integer({ min: 100, max: 5_000 }).map((n) => ({ contentType: json, payload: '['.repeat(n) + ']'.repeat(n) })),
        fc.constant({ contentType: json, payload: `{"a":"${'x'.repeat(1_100_000)}"}` }),
      ),
    },
  );
}

const CURSORS = fc.oneof(
  hostileString,
  fc.base64String({ maxLength: 60 }),
  fc
    .tuple(fc.oneof(fc.double(), fc.constant(1e308), fc.constant(-0)), fc.oneof(fc.string({ maxLength: 10 }), fc.constant('')))
    .map(([score, id]) =>
      Number.isFinite(score) ? encodeCursor({ score, id }) : Buffer.from(JSON.stringify([String(score), id])).toString('base64url'),
    ),
  hostileValue.map((v) => Buffer.from(JSON.stringify(v) ?? '').toString('base64url')),
  fc.constant('A'.repeat(2000)),
);
const QUERY_KEYS = [
  'limit',
  'cursor',
  'status',
  'caseRef',
  'context',
  'from',
  'to',
  'teamId',
  'officerId',
  'category',
  'requesterRole',
  'channel',
  'asOf',
  'access_token',
  'done',
  'acknowledged',
  'submitted',
  'userId',
  'code',
  'state',
  'error',
];
const queryArb = fc.array(
  fc.oneof(
    fc.tuple(
      fc.constantFrom('limit'),
      fc.oneof(fc.constantFrom('0', '1', '500', '501', '-1', '1.5', '1e3', 'abc', '', '99999999999999999999'), hostileString),
    ),
    fc.tuple(fc.constant('cursor'), CURSORS),
    fc.tuple(fc.constantFrom(...QUERY_KEYS), hostileString),
    fc.tuple(
      fc.oneof(prototypeKey, fc.constantFrom('a[b]', '__proto__[polluted]', 'constructor[prototype][polluted]'), hostileString),
      fc.constantFrom('yes', '1'),
    ),
  ),
  { maxLength: 4 },
);

function paramArb(name: string): fc.Arbitrary<string> {
  const known =
    name === 'caseRef'
      ? ['C-1001', 'C-2001', 'C-9999']
      : name === 'file'
        ? ['govuk-frontend.min.css', 'breaches.csv', 'x.csv', '..%2f..%2fpackage.json', '%2e%2e/%2e%2e/package.json']
        : name === 'number'
          ? ['%2B447700900101', '07700900999']
          : [...knownIds, userIdFor('officer@example.org'), userIdFor('parent@example.org')];
  return fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...known) },
    { weight: 1, arbitrary: fc.uuid() },
    { weight: 4, arbitrary: hostileString.map((s) => encodeURIComponent(wellFormed(s)) || '%20') },
    { weight: 1, arbitrary: fc.constantFrom('..', '.', '%2e%2e', '%00', '%E0%A4%A', '%', 'a%2Fb', 'x'.repeat(5_000)) },
  );
}

const credentialArb: fc.Arbitrary<Credential> = fc.oneof(
  { weight: 1, arbitrary: fc.constant({ kind: 'none' as const }) },
  {
    weight: 2,
    arbitrary: fc
      .oneof(
        headerString,
        fc.constantFrom(
          'Bearer',
          'Bearer ',
          'Bearer  x',
          'bearer x',
          'Basic Zm9vOmJhcg==',
          'Bearer a.b.c',
          'Bearer ...',
          'Bearer eyJhbGciOiJub25lIn0.e30.',
          `Bearer ${'x'.repeat(8_000)}`,
        ),
      )
      .map((header) => ({ kind: 'raw' as const, header })),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('token' as const),
      who: fc.nat({ max: USERS.length - 1 }),
      how: fc.constantFrom(
        'wrong-secret' as const,
        'alg-none' as const,
        'expired' as const,
        'tampered' as const,
        'bad-role' as const,
        'hs512' as const,
        'not-yet' as const,
      ),
    }),
  },
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('token' as const),
      who: fc.nat({ max: USERS.length - 1 }),
      how: fc.constant('valid' as const),
    }),
  },
);

const headersArb = fc.record(
  {
    accept: fc.constantFrom(
      'application/json',
      'text/html',
      'text/html,application/xhtml+xml,*/*;q=0.8',
      '*/*',
      'text/event-stream',
      'application/problem+json',
      'garbage/;;',
      '',
    ),
    'idempotency-key': fc.oneof(headerString, fc.uuid()),
    'x-correlation-id': headerString,
    'x-request-id': headerString,
    'x-forwarded-for': fc.constantFrom('1.2.3.4', 'not-an-ip', '::1, 10.0.0.1', '127.0.0.1'.repeat(200)),
    'x-forwarded-proto': fc.constantFrom('https', 'gopher', ''),
    'x-fuzz-huge': fc.constantFrom('x'.repeat(16_000), 'é'.repeat(4_000)),
    'accept-language': headerString,
    origin: fc.constantFrom('https://evil.example', 'null'),
    referer: headerString,
    'if-none-match': headerString,
    range: fc.constantFrom('bytes=0-', 'bytes=-1', 'bytes=999999999-', 'bytes=a-b', 'bytes=0-0,1-1,2-2'),
  },
  { requiredKeys: [] },
) as fc.Arbitrary<Record<string, string>>;

const callArb = () =>
  fc.nat({ max: targets.length - 1 }).chain((index) => {
    const target = targets[index];
    return fc.record({
      target: fc.constant(index),
      methodLie: fc.oneof(
        { weight: 11, arbitrary: fc.constant(null) },
        { weight: 1, arbitrary: fc.constantFrom<Method>('GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS') },
      ),
      params: fc.tuple(...target.params.map(paramArb)) as fc.Arbitrary<string[]>,
      query: queryArb,
      credential: credentialArb,
      csrf: fc.constantFrom(
        'none' as const,
        'valid' as const,
        'valid' as const,
        'valid' as const,
        'token-only' as const,
        'cookie-only' as const,
        'wrong' as const,
      ),
      body: bodyFor(target),
      headers: headersArb,
      signed: fc.constantFrom('none' as const, 'right' as const, 'right' as const, 'wrong' as const, 'garbage' as const),
      remoteAddress: fc.oneof(fc.ipV4(), fc.constant('127.0.0.1')),
    });
  });

// ---------------------------------------------------------------------------------------------
// The call, and what it may answer.

const validCredential = (c: Credential) => c.kind === 'token' && c.how === 'valid';
const roleOf = (c: Credential) => (c.kind === 'token' ? USERS[c.who].role : null);

/** A live stream would never end: its own roles' good credentials are left out (they are tested where the streams are). */
function opensStream(call: HostileCall): boolean {
  const served = answering(call);
  const role = roleOf(call.credential);
  const method = call.methodLie ?? targets[call.target].method;
  const tokenInQuery = call.query.some(([k]) => k === 'access_token');
  return (
    !!served?.streamsFor.length &&
    (method === 'GET' || method === 'HEAD') &&
    ((validCredential(call.credential) && served.streamsFor.includes(role!)) || tokenInQuery)
  );
}

/** The route that answers the call: its target, or with a lied method the route at that path with that method (HEAD: GET's), if any. */
function answering(call: HostileCall): Target | null {
  const target = targets[call.target];
  if (!call.methodLie) return target;
  const method = call.methodLie === 'HEAD' ? 'GET' : call.methodLie;
  return targets.find((t) => t.path === target.path && t.method === method) ?? null;
}

function toRequest(call: HostileCall) {
  const target = targets[call.target];
  let url = target.path;
  target.params.forEach((name, i) => (url = url.replace(`:${name}`, call.params[i])));
  if (call.query.length)
    url += `?${call.query.map(([k, v]) => `${encodeURIComponent(wellFormed(k))}=${encodeURIComponent(wellFormed(v))}`).join('&')}`;
  const method = call.methodLie ?? target.method;
  const headers: Record<string, string> = { ...call.headers };
  const cookies: string[] = [];
  const credential =
    call.credential.kind === 'none'
      ? null
      : call.credential.kind === 'raw'
        ? call.credential.header
        : `Bearer ${tokens[`${call.credential.who}:${call.credential.how}`]}`;
  if (credential !== null) {
    if (target.page) cookies.push(`session=${credential.replace(/^Bearer /, '').replace(/[;\s]/g, '')}`);
    else headers.authorization = credential;
  }
  let payload = call.body?.payload;
  if (target.page && method === 'POST' && call.csrf !== 'none') {
    if (call.csrf === 'valid' || call.csrf === 'cookie-only' || call.csrf === 'wrong') cookies.push(csrf.cookie);
    const token = call.csrf === 'wrong' ? 'not-a-token' : call.csrf === 'cookie-only' ? null : csrf.token;
    if (token !== null) payload = `_csrf=${encodeURIComponent(token)}${payload ? `&${payload}` : ''}`;
  }
  if (cookies.length) headers.cookie = cookies.join('; ');
  if (call.body?.contentType) headers['content-type'] = call.body.contentType;
  if (target.path === '/api/telephony/calls' && call.signed !== 'none') {
    headers['x-signature'] =
      call.signed === 'garbage'
        ? 'sha256=zz'
        : `sha256=${createHmac('sha256', call.signed === 'right' ? TELEPHONY_SECRET : WRONG_SECRET)
            .update(payload ?? '')
            .digest('hex')}`;
  }
  return { method, url, headers, payload: payload === undefined ? undefined : payload, remoteAddress: call.remoteAddress };
}

/**
 * What a route may answer to a hostile call (the rules this proof holds every answer to):
 * - never 5xx;
 * - a 4xx appends nothing, and from the API (everything under /api, /health, /metrics) it is
 *   problem+json whose `status` is the answer's; a page's 4xx is the GOV.UK error page (text/html),
 *   problem+json (Fastify refusing the body before any page runs), or empty (the alerts page
 *   script's /alerts/table and /alerts/stream answer a bare 401/403);
 * - a 2xx only where the hostile-looking input was in fact valid: one of the documented success
 *   statuses of the route that answers (with a lied method: the route at that path with that
 *   method, if any; pages and Swagger UI: 200 to GET; static files also 206 to a Range), and on a
 *   signed-in route only with a good credential; only a write (not GET/HEAD) may append;
 * - a 3xx only from a page, to a path on this site (never off-site: no open redirect), or 304 to
 *   a page or file read with a validator that matched.
 */
function problemsWith(
  call: HostileCall,
  res: { statusCode: number; headers: Record<string, unknown>; body: string },
  moved: boolean,
): string[] {
  const target = targets[call.target];
  const method = call.methodLie ?? target.method;
  const status = res.statusCode;
  const type = String(res.headers['content-type'] ?? '');
  const problems: string[] = [];
  const read = method === 'GET' || method === 'HEAD';
  if (status >= 500) problems.push(`answered ${status}`);
  if (moved && (status >= 400 || read)) problems.push(`appended to the store with ${status}`);
  if (status >= 400 && status < 500) {
    if (!target.page) {
      if (!type.startsWith('application/problem+json')) problems.push(`API ${status} as ${type || 'no content type'}`);
      else if (method !== 'HEAD') {
        const body = parsed(res.body) as { status?: number; type?: string; title?: string } | null;
        if (body?.status !== status || !body.type || !body.title) problems.push(`problem body ${res.body.slice(0, 200)}`);
      }
    } else if (!(type.startsWith('text/html') || type.startsWith('application/problem+json') || res.body === '')) {
      problems.push(`page ${status} as ${type}`);
    }
  }
  if (status >= 200 && status < 300) {
    // A static file also answers a Range with 206.
    const served = answering(call);
    const allowed =
      served === null
        ? false
        : served.kind !== 'nest' || served.page
          ? read && (status === 200 || (status === 206 && served.kind === 'static'))
          : served.success.includes(status);
    if (!allowed)
      problems.push(
        `answered ${status}, not one of ${served === null ? 'none (no such route)' : served.page ? '200 to GET' : served.success.join('/')}`,
      );
    if (served && !served.isPublic && !validCredential(call.credential)) problems.push(`answered ${status} without a good credential`);
  }
  if (status === 304 && !(read && target.page)) problems.push('answered 304 to what is not a page or file read');
  if (status >= 300 && status < 400 && status !== 304) {
    const location = String(res.headers.location ?? '');
    if (!target.page) problems.push(`API redirected (${status}) to ${location}`);
    else if (!location.startsWith('/') || location.startsWith('//') || location.startsWith('/\\'))
      problems.push(`redirected off-site to ${location}`);
  }
  return problems;
}

function parsed(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

async function answer(call: HostileCall) {
  const request = toRequest(call);
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>(
    (_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${ANSWER_WITHIN_MS} ms`)), ANSWER_WITHIN_MS)),
  );
  try {
    return await Promise.race([
      app.inject(request as Parameters<NestFastifyApplication['inject']>[0]) as unknown as Promise<{
        statusCode: number;
        headers: Record<string, unknown>;
        body: string;
      }>,
      hang,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

describe(`fuzz: ${RUNS} hostile requests across every route (seed ${SEED})`, () => {
  it('lists every route: the API, the pages, the static files and Swagger UI', () => {
    const listed = targets.map((t) => `${t.method} ${t.path}`);
    expect(listed).toEqual(
      expect.arrayContaining([
        'POST /api/requests',
        'POST /requests/new',
        'POST /sign-in',
        'POST /api/telephony/calls',
        'POST /api/cases/import',
        'GET /metrics',
        'GET /health',
      ]),
    );
    expect(targets.filter((t) => t.kind === 'nest').length).toBeGreaterThanOrEqual(60);
  });

  it(
    'answers every one 4xx problem+json (pages: their error pages), or the documented success where the input was valid; never 5xx; a refusal appends nothing',
    async () => {
      // eslint-disable-next-line no-console
      console.log(`fuzz: seed ${SEED}, ${RUNS} runs over ${targets.length} routes (FUZZ_SEED=${SEED} FUZZ_RUNS=${RUNS} to replay)`);
      const prototypeKeys = Object.getOwnPropertyNames(Object.prototype).sort();
      const headAtStart = await store.headPosition();
      const [wallAtStart, cpuAtStart] = [Date.now(), process.cpuUsage()];
      let appendedByAccepted = 0n;
      const seen = new Map<string, number>();
      await fc.assert(
        fc.asyncProperty(
          callArb().filter((call) => !opensStream(call)),
          async (call) => {
            const before = await store.headPosition();
            errorLines.length = 0;
            const res = await answer(call);
            const after = await store.headPosition();
            const problems = problemsWith(call, res, after !== before);
            if (({} as Record<string, unknown>).polluted !== undefined) problems.push('polluted Object.prototype');
            if (problems.length) {
              const request = toRequest(call);
              if (SURVEY) {
                const key = `${targets[call.target].method} ${targets[call.target].path}: ${problems.join('; ')}`;
                if (!survey.has(key))
                  survey.set(
                    key,
                    `${request.method} ${request.url.slice(0, 300)} ${JSON.stringify(request.headers).slice(0, 300)} ${String(request.payload).slice(0, 300)}\nanswer: ${res.statusCode} ${res.body.slice(0, 300)}\nlogged: ${errorLines.join('').slice(0, 1500)}`,
                  );
                return;
              }
              throw new Error(
                `${request.method} ${request.url.slice(0, 300)}: ${problems.join('; ')}\nanswer: ${res.statusCode} ${res.body.slice(0, 500)}\nlogged: ${errorLines.join('').slice(0, 2000)}`,
              );
            }
            const target = targets[call.target];
            const key = `${target.method} ${target.path} ${res.statusCode}`;
            seen.set(key, (seen.get(key) ?? 0) + 1);
            if (after !== before) {
              appendedByAccepted += after - before;
              accepted.push(key);
            }
          },
        ),
        { seed: SEED, numRuns: RUNS, endOnFailure: !process.env.FUZZ_SHRINK },
      );
      if (SURVEY) {
        // eslint-disable-next-line no-console
        console.log([...survey].map(([k, v]) => `${k}\n  ${v}`).join('\n\n'));
        expect([...survey.keys()]).toEqual([]);
      }
      // Nothing appended between the calls: the store moved by exactly what the accepted writes appended.
      expect((await store.headPosition()) - headAtStart).toBe(appendedByAccepted);
      expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(prototypeKeys);
      // Every route was reached (the generator covers them all), and most answers were refusals.
      const reached = new Set([...seen.keys()].map((k) => k.split(' ').slice(0, 2).join(' ')));
      if (RUNS >= 1_000) expect(targets.filter((t) => !reached.has(`${t.method} ${t.path}`)).map((t) => t.path)).toEqual([]);
      // eslint-disable-next-line no-console
      const cpu = process.cpuUsage(cpuAtStart);
      console.log(
        `fuzz: ${RUNS} requests in ${((Date.now() - wallAtStart) / 1000).toFixed(1)} s (${((cpu.user + cpu.system) / 1e6).toFixed(1)} s of CPU); ${accepted.length} were valid writes and accepted; answers: ${JSON.stringify(Object.fromEntries([...seen].sort()))}`,
      );
    },
    Math.max(600_000, RUNS * 250),
  );
});
