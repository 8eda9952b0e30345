import { z } from 'zod';
import { apiOutput } from '../../common/openapi';

const indicators = z.record(z.string(), z.looseObject({ status: z.enum(['up', 'down']) })).describe('By check: eventStore, redis');

/** GET /health (terminus's health check result). */
export const healthSchema = apiOutput(
  'Health',
  z.object({
    status: z.enum(['error', 'ok', 'shutting_down']),
    info: indicators.optional(),
    error: indicators.optional(),
    details: indicators,
  }),
);
