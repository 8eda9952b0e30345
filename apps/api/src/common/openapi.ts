import { pageQuerySchema } from './paging';
import { applyDecorators } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiHeader, ApiQuery, ApiResponse, ApiSecurity } from '@nestjs/swagger';
import type { ReferenceObject, SchemaObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';
import { z } from 'zod';

/**
 * The OpenAPI document is generated from the same zod schemas the controllers validate with, so the
 * document cannot promise a shape the code does not check. Named schemas become components under
 * #/components/schemas, which client generators turn into named types.
 *
 * A schema is read (a body, a query) or written (an answer); zod's `input` and `output` views of one
 * schema differ (a field with a default is optional to send but always answered), so each has its
 * own registry and its own conversion.
 */
type Io = 'input' | 'output';
interface Named {
  id: string;
  description?: string;
}
const registries: Record<Io, z.core.$ZodRegistry<Named>> = { input: z.registry<Named>(), output: z.registry<Named>() };

export type OpenApiSchema = SchemaObject | ReferenceObject;
export const schemaRef = (id: string): ReferenceObject => ({ $ref: `#/components/schemas/${id}` });

/** Names a schema the API reads (a body): component `id` in the document. */
export function apiInput<S extends z.ZodType>(id: string, schema: S, description?: string): S {
  registries.input.add(schema, { id, description });
  return schema;
}

/** Names a schema the API answers with: component `id` in the document. */
export function apiOutput<S extends z.ZodType>(id: string, schema: S, description?: string): S {
  registries.output.add(schema, { id, description });
  return schema;
}

const convertOptions = (io: Io) =>
  ({
    target: 'openapi-3.0',
    io,
    metadata: registries[io],
    uri: (id: string) => schemaRef(id).$ref,
    override: ({ zodSchema, jsonSchema }: { zodSchema: z.core.$ZodTypes; jsonSchema: Record<string, unknown> }) => {
      // `.describe()` lands in zod's global registry, which this conversion does not read.
      const description = z.globalRegistry.get(zodSchema)?.description;
      if (description && !jsonSchema.description) jsonSchema.description = description;
      // z.number().int() bounds itself to the safe integers: noise to a reader, not a rule of ours.
      if (jsonSchema.minimum === Number.MIN_SAFE_INTEGER) delete jsonSchema.minimum;
      if (jsonSchema.maximum === Number.MAX_SAFE_INTEGER) delete jsonSchema.maximum;
      // Answers may gain fields (API.md: "extend freely"); a strict schema would make generated clients reject them.
      if (io === 'output' && jsonSchema.additionalProperties === false) delete jsonSchema.additionalProperties;
    },
  }) as const;

/**
 * Makes zod's JSON Schema an OpenAPI 3.0 schema: its local definitions become references to the
 * document's components (which hold the same schemas), and JSON Schema's root keywords go.
 */
function forOpenApi(root: object): SchemaObject {
  const { definitions: _definitions, $defs: _defs, $schema: _schema, ...schema } = root as Record<string, unknown>;
  const walk = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(walk);
    if (!node || typeof node !== 'object') return node;
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(node)) {
      if (key === '$ref' && typeof value === 'string') out[key] = value.replace(/^#\/(definitions|\$defs)\//, '#/components/schemas/');
      // zod sets $id to the component's own uri; not an OpenAPI 3.0 keyword.
      else if (!(key === '$id' && typeof value === 'string' && value.startsWith('#/components/'))) out[key] = walk(value);
    }
    return out;
  };
  return walk(schema) as SchemaObject;
}

/** A schema as the document shows it: a reference when it is named, inline otherwise. */
export function openApiSchema(schema: z.ZodType, io: Io): OpenApiSchema {
  const named = registries[io].get(schema);
  if (named) return schemaRef(named.id);
  return forOpenApi(z.toJSONSchema(schema, convertOptions(io)));
}

/** Every named schema, for #/components/schemas. Throws when one name means two shapes. */
export function openApiComponents(): Record<string, SchemaObject> {
  const components: Record<string, SchemaObject> = {};
  for (const io of ['input', 'output'] as const) {
    const { schemas } = z.toJSONSchema(registries[io], convertOptions(io));
    for (const [id, schema] of Object.entries(schemas)) {
      const converted = forOpenApi(schema);
      if (components[id] && JSON.stringify(components[id]) !== JSON.stringify(converted)) {
        throw new Error(`OpenAPI component ${id} is named for two different shapes; give the ${io} one another name.`);
      }
      components[id] = converted;
    }
  }
  return components;
}

const json = (schema: OpenApiSchema) => ({ 'application/json': { schema } });

/** The JSON request body, from the zod schema the handler parses it with. */
export const ApiJsonBody = (schema: z.ZodType, options: { required?: boolean; description?: string } = {}) =>
  ApiBody({ required: options.required ?? true, description: options.description, schema: openApiSchema(schema, 'input') });

/** A JSON answer (200 unless said otherwise). */
export const ApiAnswer = (schema: z.ZodType, options: { status?: number; description?: string } = {}) =>
  ApiResponse({ status: options.status ?? 200, description: options.description ?? 'OK', content: json(openApiSchema(schema, 'output')) });

/** Each top-level field of a zod object schema as a query parameter (required when it has no default and is not optional). */
export function ApiZodQuery(schema: z.ZodObject) {
  const converted = openApiSchema(schema, 'input') as SchemaObject;
  const required = new Set(converted.required ?? []);
  return applyDecorators(
    ...Object.entries(converted.properties ?? {}).map(([name, property]) =>
      ApiQuery({ name, required: required.has(name), schema: property, description: (property as SchemaObject).description }),
    ),
  );
}

/** RFC 9457 problem details (shared API.md, "Errors"): the one error shape. */
export const problemSchema = apiOutput(
  'Problem',
  z.looseObject({
    type: z.string().describe('A stable identifier of the kind of problem (a URI)'),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().optional(),
    errors: z
      .array(z.object({ field: z.string(), message: z.string() }))
      .optional()
      .describe('Each invalid field and the rule it breaks (400)'),
  }),
  'RFC 9457 problem details, answered as application/problem+json.',
);

const PROBLEM_DESCRIPTIONS = {
  400: 'Invalid input: `errors` names each field and the rule; nothing is recorded.',
  401: 'No valid bearer token.',
  403: "The caller's role may not do this.",
  404: 'Not found, or not visible to the caller.',
  409: 'A concurrency conflict that retries could not settle; try again.',
  422: 'A valid shape that breaks a rule (e.g. acting on a resolved request, or an Idempotency-Key reused for another command).',
  429: 'Too many attempts (sign-in: wrong passwords for the account or from the address in the last minute); wait, then try again.',
  503: 'A dependency does not answer.',
} as const;
export type ProblemStatus = keyof typeof PROBLEM_DESCRIPTIONS;

/** Error answers as application/problem+json. */
export const ApiProblems = (...statuses: ProblemStatus[]) =>
  applyDecorators(
    ...statuses.map((status) =>
      ApiResponse({
        status,
        description: PROBLEM_DESCRIPTIONS[status],
        content: { 'application/problem+json': { schema: openApiSchema(problemSchema, 'output') } },
      }),
    ),
  );

/** Routes behind `Authorization: Bearer <token>` (from POST /api/auth/login); use on the controller. */
export const ApiSignedIn = () => applyDecorators(ApiBearerAuth(), ApiProblems(401, 403));

/** The security scheme of webhooks signed with a shared secret (see buildOpenApiDocument). */
export const SIGNED_WEBHOOK_SCHEME = 'signature';

/**
 * Routes an integration calls with no token, signing the raw body instead (`X-Signature: sha256=<hex
 * HMAC-SHA256>`): 401 on a missing or wrong signature, 503 while the secret is not configured.
 */
export const ApiSignedWebhook = () =>
  applyDecorators(
    ApiSecurity(SIGNED_WEBHOOK_SCHEME),
    ...(
      [
        [401, 'Missing or wrong X-Signature; nothing is recorded.'],
        [503, 'The shared secret is not configured, so no call is accepted.'],
      ] as const
    ).map(([status, description]) =>
      ApiResponse({ status, description, content: { 'application/problem+json': { schema: openApiSchema(problemSchema, 'output') } } }),
    ),
  );

/** `Idempotency-Key` as commands validate it: trimmed, 1 to 200 characters. */
export const idempotencyKeySchema = z.string().trim().min(1).max(200).optional();

/** A command: honours Idempotency-Key, and may meet a rule (422) or a conflict (409); `also` adds e.g. 404 on an existing resource. */
export const ApiCommand = (...also: ProblemStatus[]) =>
  applyDecorators(
    ApiHeader({
      name: 'Idempotency-Key',
      required: false,
      description: 'A retried command with the same key from the same user appends nothing new and answers as the first did.',
      schema: openApiSchema(idempotencyKeySchema, 'input') as SchemaObject,
    }),
    ApiProblems(400, ...also, 409, 422),
  );

/**
 * Paging of lists (shared API.md, "Lists"): `?limit=` (1 to 500, default 100) and an opaque
 * `?cursor=` from the previous page's Link header. Routes parse their query with this schema
 * (merged with their own filters) so the document and the parser agree.
 */

/** A paged list: `limit` and `cursor` query (400 when invalid), a JSON array of `item`, and `Link: <...>; rel="next"` while more exist. */
export const ApiPagedList = (item: z.ZodType, description = 'A page of the list, most relevant first') =>
  applyDecorators(
    ApiZodQuery(pageQuerySchema),
    ApiProblems(400),
    ApiResponse({
      status: 200,
      description,
      headers: {
        Link: {
          description: 'Present when more exist: `<...&cursor=...>; rel="next"` names the next page.',
          schema: { type: 'string' },
        },
      },
      content: json({ type: 'array', items: openApiSchema(item, 'output') }),
    }),
  );

/**
 * A server-sent event stream (text/event-stream). OpenAPI 3.0 cannot type the events, so the data's
 * schema is named in `x-event-data` (and the description) for readers and tools that look.
 */
export const ApiEventStream = (description: string, data: z.ZodType) =>
  ApiResponse({
    status: 200,
    description,
    content: { 'text/event-stream': { schema: { type: 'string' }, 'x-event-data': openApiSchema(data, 'output') } as never },
  });
