import { z } from 'zod';
import { CASE_REF_PATTERN, TEAM_ID_PATTERN, toE164 } from '@send/domain';
import { apiInput, apiOutput } from '../../common/openapi';
import { requestViewSchema } from '../../requests/dto/request-view.dto';

/** A phone number as people write it (`07700 900101`, `+44 7700 900101`), answered in E.164. */
export const phoneSchema = z
  .string()
  .trim()
  .max(40)
  .transform((raw, ctx) => {
    const e164 = toE164(raw);
    if (e164 === null) ctx.addIssue({ code: 'custom', message: `"${raw}" is not a phone number (e.g. 07700 900101 or +447700900101)` });
    return e164 ?? raw;
  })
  .describe('A phone number; UK national numbers are accepted and stored in E.164');

export const caseContactInputSchema = z.object({
  name: z.string().trim().min(1).max(200),
  relationship: z.string().trim().min(1).max(100).describe('e.g. mother, father, carer, SENCo, social worker'),
  email: z.email().max(200).optional(),
  phone: phoneSchema.optional(),
  userId: z.string().trim().min(1).max(100).optional().describe('Their portal account; found from `email` when not given'),
});

export const syncCaseSchema = apiInput(
  'SyncCase',
  z
    .object({
      caseRef: z.string().trim().regex(CASE_REF_PATTERN, 'letters, digits and -/._, up to 64 characters'),
      childName: z.string().trim().min(1).max(200),
      teamId: z.string().trim().regex(TEAM_ID_PATTERN, 'a team id: lower-case letters, digits, - and _'),
      caseOfficerId: z.string().trim().min(1).max(100).optional(),
      caseOfficerEmail: z.email().max(200).optional(),
      contacts: z.array(caseContactInputSchema).max(50),
    })
    .refine((b) => (b.caseOfficerId === undefined) !== (b.caseOfficerEmail === undefined), {
      path: ['caseOfficerId'],
      message: 'give exactly one of caseOfficerId and caseOfficerEmail',
    }),
  'The case as the council holds it now: opens it, or changes what differs (contacts are the full set).',
);
export type SyncCaseBody = z.infer<typeof syncCaseSchema>;

export const caseContactSchema = apiOutput(
  'CaseContact',
  z.object({
    contactId: z.string().describe('Stable within the case: from the email, else the phone, else the name'),
    name: z.string(),
    relationship: z.string(),
    email: z.string().optional(),
    phone: z.string().optional().describe('E.164'),
    userId: z.string().optional(),
  }),
);

const caseFields = {
  caseRef: z.string(),
  childName: z.string(),
  teamId: z.string(),
  caseOfficerId: z.string(),
  status: z.enum(['open', 'closed']),
  contacts: z.array(caseContactSchema),
};
export const caseSchema = apiOutput('Case', z.object(caseFields));
export type CaseAnswer = z.output<typeof caseSchema>;

/** The request views are the requests capability's (GET /api/requests/:id answers the same shape). */
export const caseWithRequestsSchema = apiOutput(
  'CaseWithRequests',
  z.object({
    ...caseFields,
    requests: z.array(requestViewSchema).describe("The case's requests, newest first (none for administrators)"),
  }),
);
export type CaseWithRequests = z.output<typeof caseWithRequestsSchema>;

export const myCaseSchema = apiOutput('MyCase', z.object({ caseRef: z.string(), childName: z.string(), teamId: z.string() }));

export const importReportSchema = apiOutput(
  'CaseImportReport',
  z.object({
    created: z.number().int(),
    updated: z.number().int(),
    unchanged: z.number().int(),
    rejected: z
      .array(z.object({ line: z.number().int(), errors: z.array(z.object({ field: z.string(), message: z.string() })) }))
      .describe('Every line not imported, with why (line 1 is the header); a case with a bad line is not imported at all'),
  }),
);
