import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import { JwtService } from '@nestjs/jwt';
import { wholeApi, type WholeApi } from '../../../../test/support/whole-api';
import { WebSession } from '../web/web-session';

// As in openapi.spec.ts: bull-board and content-disposition are ES modules Jest cannot load.
jest.mock('../admin/queues-board', () => ({ mountQueuesBoard: async () => async () => undefined }));
jest.mock('content-disposition', () => () => 'attachment');

/**
 * The api keeps no per-request async context (ADR 0029): a line about a request names its
 * correlation id where it is written. Here on the api exactly as `npm start` builds it, pages included.
 */
describe('request context without AsyncLocalStorage', () => {
  let api: WholeApi;
  const lines: string[] = [];
  const logLines = () => lines.flatMap((l) => l.split('\n').filter(Boolean)).map((l) => JSON.parse(l) as Record<string, unknown>);

  beforeAll(async () => {
    api = await wholeApi({ LOG_LEVEL: 'info' }, { logDestination: { write: (line: string) => void lines.push(line) } });
    api.app.flushLogs(); // inject() never listens, and buffered lines would wait forever
  }, 60_000);
  afterAll(() => api?.close());

  it("writes a page's unexpected error with the request's correlation id, behind the GOV.UK 500 page", async () => {
    jest.spyOn(api.app.get(WebSession), 'user').mockRejectedValueOnce(new Error('session store on fire'));
    const before = logLines().length;
    const page = await api.app.inject({
      method: 'GET',
      url: '/privacy',
      headers: { accept: 'text/html', 'x-correlation-id': 'corr-page-123456' },
    });
    expect(page.statusCode).toBe(500);
    expect(page.headers['content-type']).toContain('text/html');
    expect(
      logLines()
        .slice(before)
        .find((l) => l.msg === 'session store on fire'),
    ).toMatchObject({
      correlationId: 'corr-page-123456',
      level: 50,
      err: { message: 'session store on fire' },
    });
  });

  it('serves api calls and pages without entering an AsyncLocalStorage (its promise hooks cost every await)', async () => {
    const run = jest.spyOn(AsyncLocalStorage.prototype, 'run');
    const enterWith = jest.spyOn(AsyncLocalStorage.prototype, 'enterWith');
    try {
      const token = await api.app.get(JwtService).signAsync({
        sub: 'officer-7',
        email: 'officer-7@example.org',
        name: 'Officer Seven',
        role: 'officer',
        teamId: 'team-north',
      });
      const answers = [];
      for (const url of ['/api/queue', '/api/queue/team', `/api/requests/${randomUUID()}`, '/privacy', '/sign-in', '/no/such/route'])
        answers.push(
          (await api.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}`, accept: 'text/html' } })).statusCode,
        );
      expect(answers).toEqual([200, 200, 404, 200, 200, 404]);
      expect(run).not.toHaveBeenCalled();
      expect(enterWith).not.toHaveBeenCalled();
    } finally {
      run.mockRestore();
      enterWith.mockRestore();
    }
  });
});
