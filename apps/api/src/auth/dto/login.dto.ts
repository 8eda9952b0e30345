import { z } from 'zod';
import { apiInput, apiOutput } from '../../common/openapi';
import { ROLES } from '../roles';

/** POST /api/auth/login */
export const loginSchema = apiInput('Login', z.object({ email: z.string().email(), password: z.string().min(1) }));

/** The bearer token for `Authorization: Bearer <token>`, and who it signs in. */
export const loginAnswerSchema = apiOutput(
  'LoginAnswer',
  z.object({
    token: z.string().describe('Send as Authorization: Bearer <token>'),
    user: z.object({ id: z.string(), email: z.string(), name: z.string(), role: z.enum(ROLES), teamId: z.string().nullable() }),
  }),
);
