import { escalationJourney, postgresJourney } from './escalation-journey';

// ADR 0012: the same journey with EVENT_STORE=postgres, in a file of its own (its own Jest worker).
if (process.env.POSTGRES_URL) escalationJourney('PostgreSQL', postgresJourney(process.env.POSTGRES_URL));
else {
  describe.skip('escalation chains on PostgreSQL (set POSTGRES_URL, or run npm test with PostgreSQL installed: apt-get install -y postgresql)', () => {
    it('runs the same journey with EVENT_STORE=postgres', () => undefined);
  });
}
