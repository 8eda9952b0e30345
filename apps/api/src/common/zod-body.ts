import type { z } from 'zod';
import { badRequest } from './problem';

/**
 * Parses input with a zod schema, or throws 400 problem+json naming each bad field.
 * Controllers call it first, so invalid input never reaches a command (and nothing is appended).
 */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown, what = 'body'): z.infer<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const errors = result.error.issues.map((issue) => ({
    field: issue.path.length ? issue.path.join('.') : what,
    message: issue.message,
  }));
  throw badRequest(
    `The ${what} has ${errors.length} invalid field${errors.length === 1 ? '' : 's'}: ${errors.map((e) => e.field).join(', ')}.`,
    errors,
  );
}
