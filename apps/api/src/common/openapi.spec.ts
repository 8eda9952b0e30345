import { z } from 'zod';
import { apiInput, apiOutput, openApiComponents, openApiSchema } from './openapi';
import { encodeCursor, pageQuerySchema } from './paging';

describe('pageQuerySchema (shared API.md, "Lists")', () => {
  it('defaults limit to 100 and reads it from a query string', () => {
    expect(pageQuerySchema.parse({})).toEqual({ limit: 100 });
    expect(pageQuerySchema.parse({ limit: '25', cursor: encodeCursor({ score: 1, id: 'a' }) })).toEqual({
      limit: 25,
      cursor: encodeCursor({ score: 1, id: 'a' }),
    });
  });

  it.each(['0', '501', '2.5', 'ten'])('refuses limit=%s', (limit) => {
    expect(pageQuerySchema.safeParse({ limit }).success).toBe(false);
  });
});

describe('schemas as the OpenAPI document shows them', () => {
  const item = apiOutput('SpecItem', z.object({ id: z.string(), note: z.string().nullable().describe('Free text') }));
  const body = apiInput('SpecBody', z.object({ kind: z.enum(['a', 'b']).default('a'), count: z.number().int() }));

  it('references a named schema, also inside an unnamed one', () => {
    expect(openApiSchema(item, 'output')).toEqual({ $ref: '#/components/schemas/SpecItem' });
    expect(openApiSchema(z.array(item), 'output')).toEqual({ type: 'array', items: { $ref: '#/components/schemas/SpecItem' } });
  });

  it('shows a default as optional to send, and answers as open to new fields', () => {
    const components = openApiComponents();
    expect(components.SpecBody).toEqual({
      type: 'object',
      properties: { kind: { type: 'string', enum: ['a', 'b'], default: 'a' }, count: { type: 'integer' } },
      required: ['count'],
    });
    expect(components.SpecItem).toEqual({
      type: 'object',
      properties: { id: { type: 'string' }, note: { type: 'string', nullable: true, description: 'Free text' } },
      required: ['id', 'note'],
    });
    expect(openApiSchema(body, 'input')).toEqual({ $ref: '#/components/schemas/SpecBody' });
  });

  it('refuses one name for two different shapes', () => {
    // A fresh copy of the module, so the clash does not leak into the registries the other tests read.
    jest.isolateModules(() => {
      const fresh = jest.requireActual<typeof import('./openapi')>('./openapi');
      fresh.apiInput('Clash', z.object({ a: z.string() }));
      fresh.apiOutput('Clash', z.object({ b: z.string() }));
      expect(() => fresh.openApiComponents()).toThrow(/Clash is named for two different shapes/);
    });
  });
});
