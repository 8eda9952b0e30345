import { RequestClosed } from '@send/domain';
import { ConcurrencyConflict } from '@send/event-store';
import { problem, ProblemException } from '../common/problem';
import { outcomeOf } from './command-metrics';

describe('command outcome', () => {
  it.each([
    ['a 409 concurrency conflict', 'conflict', new ConcurrencyConflict('contact-request-1', 3)],
    ['a broken rule (422)', 'rejected', new RequestClosed('1', 'RecordAttempt')],
    ['not found or forbidden (404, 403)', 'rejected', new ProblemException(problem(404, 'not-found'))],
    ['a Fastify 4xx', 'rejected', Object.assign(new Error('bad body'), { statusCode: 415 })],
    ['an unexpected error', 'error', new Error('disk on fire')],
    ['a 503 problem', 'error', new ProblemException(problem(503, 'unavailable'))],
  ])('%s is %s', (_, outcome, error) => expect(outcomeOf(error)).toBe(outcome));
});
