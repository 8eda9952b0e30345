import { HttpException, HttpStatus } from '@nestjs/common';

/** RFC 9457 problem details, the one error shape of the API (shared API.md, "Errors"). */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  errors?: Array<{ field: string; message: string }>;
  [extension: string]: unknown;
}

const TITLES: Record<number, string> = {
  400: 'Invalid request',
  401: 'Not signed in',
  403: 'Not allowed',
  404: 'Not found',
  409: 'Conflict',
  414: 'Address too long',
  422: 'Rule broken',
  429: 'Too many requests',
  500: 'Internal error',
  503: 'Unavailable',
};

/** `type` is a stable, documented identifier for each kind of problem. */
export const problemType = (slug: string) => `https://send-case-comms.example/problems/${slug}`;

export function problem(status: number, slug: string, detail?: string, extra: Partial<Problem> = {}): Problem {
  return { type: problemType(slug), title: TITLES[status] ?? HttpStatus[status] ?? 'Error', status, detail, ...extra };
}

/** Throw this from anywhere in the api to answer with a given problem. */
export class ProblemException extends HttpException {
  constructor(readonly problem: Problem) {
    super(problem, problem.status);
  }
}

export const badRequest = (detail: string, errors: Problem['errors']) =>
  new ProblemException(problem(400, 'invalid-input', detail, { errors }));
export const notFound = (detail: string) => new ProblemException(problem(404, 'not-found', detail));
export const forbidden = (detail: string) => new ProblemException(problem(403, 'forbidden', detail));
