import { z } from 'zod';
import { apiInput, apiOutput } from '../../common/openapi';
import { requestViewSchema, timelineEntrySchema } from '../../requests/dto/request-view.dto';

/** POST /api/data-subjects/:id/erase (shared API.md, "Personal data"). */
export const eraseSchema = apiInput(
  'EraseDataSubject',
  z.object(
    {
      reason: z
        .string({ error: (issue) => (issue.input === undefined ? 'is required' : 'must be text') })
        .trim()
        .min(3, 'must say why (at least 3 characters)')
        .max(500)
        .describe('Why their data is erased (kept in the erasure record: it must not name or describe the person)'),
      force: z.boolean({ error: 'must be true or false' }).default(false).describe('Erase even while a request of theirs is open'),
    },
    { error: 'must be a JSON object' },
  ),
  "Erases one person's personal data everywhere (crypto-shredding): refused while a request of theirs is open unless `force`.",
);
export type EraseBody = z.output<typeof eraseSchema>;

export const erasureAnswerSchema = apiOutput(
  'Erasure',
  z.object({
    erasureId: z.string().describe('The erasure, as recorded (a retry with the same Idempotency-Key answers the same id)'),
    streams: z.number().int().describe('How many streams (requests, cases, account, calls) were marked erased'),
  }),
);
export type ErasureAnswer = z.output<typeof erasureAnswerSchema>;

const contactSchema = z.union([
  z.object({
    who: z.literal('you'),
    name: z.string(),
    relationship: z.string(),
    email: z.string().optional(),
    phone: z.string().optional(),
  }),
  z.object({ who: z.literal('another contact') }).describe("Another person on the same case: nothing of theirs is shown"),
]);

export const subjectExportSchema = apiOutput(
  'SubjectAccessExport',
  z.object({
    subject: z.string(),
    generatedAt: z.string(),
    account: z
      .object({ id: z.string(), name: z.string(), email: z.string(), role: z.string(), teamId: z.string().nullable() })
      .nullable()
      .describe('Their portal account (never its password)'),
    cases: z.array(
      z.object({
        caseRef: z.string(),
        childName: z.string(),
        status: z.string(),
        teamId: z.string(),
        contacts: z.array(contactSchema),
      }),
    ),
    requests: z.array(
      z.object({
        request: requestViewSchema,
        requester: z.object({ role: z.string(), name: z.string(), email: z.string(), phone: z.string().optional() }),
        timeline: z.array(timelineEntrySchema),
      }),
    ),
    calls: z.array(
      z.object({
        callId: z.string(),
        number: z.string(),
        startedAt: z.string(),
        outcome: z.string(),
        durationSeconds: z.number(),
        status: z.string(),
        caseRef: z.string().nullable(),
        requestId: z.string().nullable(),
      }),
    ),
  }),
  'Everything held about one person: their account, the cases they are a contact on, their requests with their timelines, their calls.',
);
export type SubjectExport = z.output<typeof subjectExportSchema>;
