import { JwtService } from '@nestjs/jwt';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { wholeApi, type WholeApi } from '../../../../test/support/whole-api';

// As in openapi.spec.ts: bull-board and content-disposition are ES modules Jest cannot load.
jest.mock('../admin/queues-board', () => ({ mountQueuesBoard: async () => async () => undefined }));
jest.mock('content-disposition', () => () => 'attachment');

/**
 * Focused regressions for what the fuzz (test/fuzz) found. Requests refused before any route runs (a URL the router cannot read, a path segment over
 * Fastify's maxParamLength, a body that does not parse), found by the fuzz (test/fuzz): 4xx
 * problem+json, or for a page's form the GOV.UK page with the same 4xx status; never 5xx.
 */
describe('hostile requests the fuzz found answered 5xx', () => {
  let api: WholeApi;
  let app: NestFastifyApplication;
  const html = { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' };

  beforeAll(async () => {
    api = await wholeApi();
    app = api.app;
  }, 60_000);
  afterAll(() => api?.close());

  const call = async (method: 'GET' | 'POST', url: string, headers: Record<string, string> = {}, payload?: string) => {
    const res = await app.inject({ method, url, headers, payload });
    return { status: res.statusCode, type: String(res.headers['content-type']).split(';')[0], body: res.body };
  };

  // Fastify refuses these URLs before any route, hook or page runs: problem+json, for a page's address too.
  it('a URL with broken percent-encoding: 400 problem+json', async () => {
    const api = await call('GET', '/api/requests/%E0%A4%A', { authorization: 'Bearer x' });
    expect([api.status, api.type]).toEqual([400, 'application/problem+json']);
    expect(JSON.parse(api.body)).toMatchObject({ status: 400, type: expect.stringMatching(/\/invalid-url$/), title: 'Invalid request' });
    const page = await call('GET', '/requests/%E0%A4%A', html);
    expect([page.status, page.type]).toEqual([400, 'application/problem+json']);
  });

  it('a path segment longer than any id: 414 problem+json', async () => {
    const api = await call('POST', `/api/requests/${'x'.repeat(200)}/attempts`, { authorization: 'Bearer x' });
    expect([api.status, api.type]).toEqual([414, 'application/problem+json']);
    expect(JSON.parse(api.body)).toMatchObject({ status: 414, type: expect.stringMatching(/\/uri-too-long$/) });
    const page = await call('GET', `/requests/${'x'.repeat(200)}`, html);
    expect([page.status, page.type]).toEqual([414, 'application/problem+json']);
  });

  it('a page form whose body does not parse is the 400 page, not the 500 page (it was: any status but 403, 404, 429 became 500)', async () => {
    for (const [type, payload] of [
      ['application/json', '{"subject":'],
      ['application/json', '{"__proto__":{"polluted":true}}'],
    ]) {
      const page = await call('POST', '/requests/new', { ...html, 'content-type': type }, payload);
      expect([page.status, page.type]).toEqual([400, 'text/html']);
      expect(page.body).toContain('Sorry, there is a problem with what was sent');
    }
    const unsupported = await call('POST', '/sign-in', { ...html, 'content-type': 'application/xml' }, '<a/>');
    expect([unsupported.status, unsupported.type]).toEqual([415, 'text/html']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('a page query naming a member of Object.prototype (?done=constructor) is no banner, not a 500', async () => {
    const officer = await app
      .get(JwtService)
      .signAsync({ sub: 'fuzz-officer', email: 'o@example.org', name: 'O', role: 'officer', teamId: 'north' });
    for (const done of ['constructor', 'hasOwnProperty', '__proto__', 'toString']) {
      const page = await call('GET', `/queue?done=${done}`, { ...html, cookie: `session=${officer}` });
      expect([done, page.status, page.type]).toEqual([done, 200, 'text/html']);
      expect(page.body).not.toContain('govuk-notification-banner--success');
    }
    const known = await call('GET', '/queue?done=assigned', { ...html, cookie: `session=${officer}` });
    expect(known.body).toContain('The request is assigned.');
  });
});
