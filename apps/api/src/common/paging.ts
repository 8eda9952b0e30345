import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Page, PageCursor, PageRequest } from '@send/read-models';
import { parseInput } from './zod-body';

/** Shared API.md: lists answer at most `limit` items (default 100, at most 500). */
export const DEFAULT_PAGE_LIMIT = 100;
export const MAX_PAGE_LIMIT = 500;

/**
 * A cursor is opaque to clients: base64url of JSON `[score, id]`, the last item's position in the
 * list's sorted set. Anything that does not decode to exactly that (and re-encode to the same text)
 * is rejected, so a cursor is never half-understood.
 */
export function encodeCursor(cursor: PageCursor): string {
  return Buffer.from(JSON.stringify([cursor.score, cursor.id])).toString('base64url');
}

export function decodeCursor(text: string): PageCursor | null {
  if (text.length === 0 || text.length > 1024 || !/^[A-Za-z0-9_-]+$/.test(text)) return null;
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    return null;
  }
  if (!Array.isArray(value) || value.length !== 2) return null;
  const [score, id] = value as [unknown, unknown];
  if (typeof score !== 'number' || !Number.isFinite(score) || typeof id !== 'string' || id.length === 0 || id.length > 200) return null;
  const cursor = { score, id };
  return encodeCursor(cursor) === text ? cursor : null;
}

const LIMIT_RULE = `limit must be a whole number from 1 to ${MAX_PAGE_LIMIT}`;

/** `?limit=&cursor=` of every list route: what the routes parse and what the OpenAPI document describes. */
export const pageQuerySchema = z.object({
  limit: z.coerce
    .number({ message: LIMIT_RULE })
    .int(LIMIT_RULE)
    .min(1, LIMIT_RULE)
    .max(MAX_PAGE_LIMIT, LIMIT_RULE)
    .default(DEFAULT_PAGE_LIMIT)
    .describe('Most items in the answer'),
  cursor: z
    .string()
    .refine((text) => decodeCursor(text) !== null, 'cursor is not one this API gave out: use the Link header of the previous page')
    .optional()
    .describe("Opaque: where the next page starts, from the previous answer's Link header"),
});

/** `?limit=&cursor=` of a list route, or 400 problem+json naming the bad field. Other parameters are left to the route. */
export function parsePageQuery(query: unknown): PageRequest & { limit: number; after: PageCursor | null } {
  const { limit, cursor } = parseInput(pageQuerySchema, query ?? {}, 'query');
  return { limit, after: cursor === undefined ? null : decodeCursor(cursor) };
}

/**
 * The `Link: <...>; rel="next"` of a page that has more: the same path and query parameters (filters
 * such as teamId or status stay), with `limit` and the next `cursor`. Relative, so it holds behind
 * any proxy that keeps the path.
 */
export function nextLink(url: string, limit: number, next: PageCursor): string {
  const parsed = new URL(url, 'http://localhost');
  parsed.searchParams.set('limit', String(limit));
  parsed.searchParams.set('cursor', encodeCursor(next));
  return `<${parsed.pathname}?${parsed.searchParams.toString()}>; rel="next"`;
}

/** The Link header of a page, when more follow. */
export function linkNextPage(request: FastifyRequest, reply: FastifyReply, limit: number, page: Page<unknown>): void {
  if (page.next) void reply.header('Link', nextLink(request.url, limit, page.next));
}

/** Answers a page: its items as the body, and the Link header when more follow. */
export function answerPage<T>(request: FastifyRequest, reply: FastifyReply, limit: number, page: Page<T>): T[] {
  linkNextPage(request, reply, limit, page);
  return page.items;
}
