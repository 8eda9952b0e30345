import { postgresJourney } from './escalation-journey';
import { twoOfEverything } from './two-of-everything';

// Issue 12: two apis and two workers on one PostgreSQL (a schema of its own on POSTGRES_URL) and one Redis.
if (process.env.POSTGRES_URL) twoOfEverything('PostgreSQL', postgresJourney(process.env.POSTGRES_URL));
else {
  describe.skip('two apis and two workers on one PostgreSQL (set POSTGRES_URL, or run npm test with PostgreSQL installed)', () => {
    it('runs the two-of-everything journey with EVENT_STORE=postgres', () => undefined);
  });
}
