import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { wholeApi, type WholeApi } from '../../../../test/support/whole-api';
import { SIGN_IN_LIMITS } from './sign-in-limits';

// As in hostile-requests.spec.ts: bull-board and content-disposition are ES modules Jest cannot load.
jest.mock('../admin/queues-board', () => ({ mountQueuesBoard: async () => async () => undefined }));
jest.mock('content-disposition', () => () => 'attachment');

/** The flood guard sits on the API's login route alone: every attempt from one address counts, even one that does not parse. */
describe('sign-in flood guard on POST /api/auth/login', () => {
  let api: WholeApi;
  let app: NestFastifyApplication;

  beforeAll(async () => {
    api = await wholeApi();
    app = api.app;
  }, 60_000);
  afterAll(() => api?.close());

  it('answers 429 problem+json once an address has used up its attempts, a query string or not; other routes are not counted', async () => {
    const login = (url: string, remoteAddress: string) =>
      app.inject({ method: 'POST', url, remoteAddress, headers: { 'content-type': 'application/json' }, payload: '{}' });
    for (let i = 0; i < 5; i++) {
      expect((await app.inject({ method: 'POST', url: '/api/requests', remoteAddress: '203.0.113.7', payload: {} })).statusCode).toBe(401);
    }
    const statuses: number[] = [];
    for (let i = 0; i < SIGN_IN_LIMITS.attemptsPerAddress; i++) {
      statuses.push((await login(i % 2 ? '/api/auth/login?again' : '/api/auth/login', '203.0.113.7')).statusCode);
    }
    expect(new Set(statuses)).toEqual(new Set([400]));

    const limited = await login('/api/auth/login?x=1', '203.0.113.7');
    expect(limited.statusCode).toBe(429);
    expect(limited.headers['content-type']).toContain('application/problem+json');
    expect(limited.headers['retry-after']).toBe(String(SIGN_IN_LIMITS.windowMs / 1000));
    expect(limited.json()).toMatchObject({ status: 429, type: expect.stringMatching(/too-many-sign-ins$/) });
    // Another address is not held back by this one.
    expect((await login('/api/auth/login', '203.0.113.8')).statusCode).toBe(400);
  }, 60_000);
});
