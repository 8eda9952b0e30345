/**
 * The mixed HTTP workload of `npm run bench:http`: the calls and the share of connections each gets
 * in its mixed phase. Shared with the proofs that put the system under the same load and then check
 * it (test/proofs/load.ts, test/proofs/faults.ts), so what they prove holds for what the bench measures.
 */
export type WorkloadName = 'attempts' | 'submissions' | 'responses' | 'get' | 'queue';

export interface WorkloadCall {
  name: string;
  method: 'GET' | 'POST';
  /** The i-th request's path (i counts across the phase, over all connections). */
  path: (i: number) => string;
  token?: string;
  body?: unknown;
  connections?: number;
  /** The command a POST issues (the proofs record each 2xx answer's ids for their checks). */
  command?: 'submission' | 'attempt' | 'response';
}

/** The mixed phase: share of the connections per call. */
export const MIXED_SHARE: Readonly<Record<WorkloadName, number>> = { attempts: 0.4, get: 0.3, submissions: 0.1, responses: 0.1, queue: 0.1 };

/** `connections` split by MIXED_SHARE, at least one each. */
export function splitConnections(connections: number): Record<WorkloadName, number> {
  return Object.fromEntries(Object.entries(MIXED_SHARE).map(([k, v]) => [k, Math.max(1, Math.round(connections * v))])) as Record<
    WorkloadName,
    number
  >;
}

/**
 * The calls: a family's attempts and submissions, an officer's responses on the same requests, a
 * family's GET of one request and an officer's team queue. `pool` (attempts, responses) and `getIds`
 * are read at each call, so a caller may grow them while the load runs.
 */
export function workloadCalls(o: {
  pool: readonly string[];
  getIds: readonly string[];
  parentToken: string;
  officerToken: string;
}): Record<WorkloadName, (connections?: number) => WorkloadCall> {
  const { pool, getIds } = o;
  return {
    attempts: (connections) => ({
      name: 'POST /api/requests/:id/attempts',
      method: 'POST',
      path: (i) => `/api/requests/${pool[i % pool.length]}/attempts`,
      token: o.parentToken,
      body: { channel: 'phone' },
      connections,
      command: 'attempt',
    }),
    submissions: (connections) => ({
      name: 'POST /api/requests',
      method: 'POST',
      path: () => '/api/requests',
      token: o.parentToken,
      body: {
        category: 'transport',
        subject: 'Transport to school from September',
        message: 'Our transport application has had no reply for three weeks. Please call me back.',
        channel: 'portal',
      },
      connections,
      command: 'submission',
    }),
    responses: (connections) => ({
      name: 'POST /api/requests/:id/responses',
      method: 'POST',
      path: (i) => `/api/requests/${pool[i % pool.length]}/responses`,
      token: o.officerToken,
      body: { channel: 'phone', summary: 'Called back and explained the next steps and the panel date.' },
      connections,
      command: 'response',
    }),
    get: (connections) => ({
      name: 'GET /api/requests/:id',
      method: 'GET',
      path: (i) => `/api/requests/${getIds[(i * 7919) % getIds.length]}`,
      token: o.parentToken,
      connections,
    }),
    queue: (connections) => ({
      name: 'GET /api/queue/team?limit=100',
      method: 'GET',
      path: () => '/api/queue/team?limit=100',
      token: o.officerToken,
      connections,
    }),
  };
}
