import { parsePolicy, validatePolicy } from './parse-policy';
import { PolicyError } from './policy-error';

// The contract: shared/API.md, "Policy file", verbatim.
const API_EXAMPLE = `
calendar:
  timezone: Europe/London
  workingHours: { mon: ["09:00", "17:00"], tue: ["09:00", "17:00"], wed: ["09:00", "17:00"],
                  thu: ["09:00", "17:00"], fri: ["09:00", "17:00"] }   # or "24/7"
  bankHolidays: england-and-wales        # or none
  closures: ["2026-12-24"]
sla:
  default: { firstResponse: P3D, resolution: P10D }
  categories:
    complaint: { firstResponse: P5D, resolution: P15D }
  urgent: { firstResponse: P1D, resolution: P5D }
  dueAt: end_of_day       # "within 3 working days" = by the close of the 3rd working day; or exact
  updateWithin: P10D      # after a holding reply, the family hears again within this
  reopenWithin: P20D      # a requester may reopen a resolved request within this
unanswered:
  threshold: 3            # unanswered inbound attempts that raise an escalation
intake:
  maxBackdate: P30D       # how old a staff-entered receivedAt may be (calendar days)
escalation:
  memory: P20D            # a new escalation within this of the last one starts at the level it reached
  chain:
    - { role: team_manager,    ackWithin: P1D, respondWithin: P1D }
    - { role: service_manager, ackWithin: P1D, respondWithin: P2D }
    - { role: head_of_service, ackWithin: P2D, respondWithin: P2D }
`;
const nineToFive = ['09:00', '17:00'];

const minimal = {
  sla: { default: { firstResponse: 'P3D', resolution: 'P10D' } },
  unanswered: { threshold: 3 },
  escalation: { chain: [{ role: 'team_manager', ackWithin: 'P1D', respondWithin: 'P1D' }] },
};
/** A copy of `minimal` with one field replaced (path like "escalation.chain.0.ackWithin"). */
function withField(path: string, value: unknown): Record<string, unknown> {
  const copy = structuredClone(minimal) as Record<string, any>;
  const keys = path.split('.');
  const last = keys.pop()!;
  const parent = keys.reduce((o, k) => (o[k] ??= {}), copy);
  if (value === undefined) delete parent[last];
  else parent[last] = value;
  return copy;
}
const errorOf = (run: () => unknown): PolicyError => {
  try {
    run();
  } catch (e) {
    if (e instanceof PolicyError) return e;
    throw e;
  }
  throw new Error('expected a PolicyError');
};

describe('parsePolicy', () => {
  it('accepts the policy file in API.md', () => {
    expect(parsePolicy(API_EXAMPLE)).toEqual({
      calendar: {
        timezone: 'Europe/London',
        workingHours: { mon: nineToFive, tue: nineToFive, wed: nineToFive, thu: nineToFive, fri: nineToFive },
        bankHolidays: 'england-and-wales',
        closures: ['2026-12-24'],
      },
      sla: {
        default: { firstResponse: 'P3D', resolution: 'P10D' },
        categories: { complaint: { firstResponse: 'P5D', resolution: 'P15D' } },
        urgent: { firstResponse: 'P1D', resolution: 'P5D' },
        dueAt: 'end_of_day',
        updateWithin: 'P10D',
        reopenWithin: 'P20D',
      },
      unanswered: { threshold: 3 },
      intake: { maxBackdate: 'P30D' },
      // Not in API.md's file: the default applies.
      retention: { closedRequests: 'P6Y' },
      escalation: {
        memory: 'P20D',
        chain: [
          { role: 'team_manager', ackWithin: 'P1D', respondWithin: 'P1D' },
          { role: 'service_manager', ackWithin: 'P1D', respondWithin: 'P2D' },
          { role: 'head_of_service', ackWithin: 'P2D', respondWithin: 'P2D' },
        ],
      },
    });
  });

  it('accepts the same policy as JSON', () => {
    expect(parsePolicy(JSON.stringify(parsePolicy(API_EXAMPLE)))).toEqual(parsePolicy(API_EXAMPLE));
  });

  it('defaults the calendar to Mon–Fri 09:00–17:00 Europe/London with England and Wales bank holidays', () => {
    expect(validatePolicy(minimal).calendar).toEqual({
      timezone: 'Europe/London',
      workingHours: { mon: nineToFive, tue: nineToFive, wed: nineToFive, thu: nineToFive, fri: nineToFive },
      bankHolidays: 'england-and-wales',
      closures: [],
    });
    expect(validatePolicy(withField('calendar', { workingHours: '24/7', bankHolidays: 'none' })).calendar).toEqual({
      timezone: 'Europe/London', workingHours: '24/7', bankHolidays: 'none', closures: [],
    });
  });

  it('lets a category or urgent override only one clock', () => {
    const policy = validatePolicy(withField('sla.categories', { transport: { firstResponse: 'PT4H' } }));
    expect(policy.sla.categories.transport).toEqual({ firstResponse: 'PT4H' });
    expect(policy.sla.urgent).toBeUndefined();
  });

  it.each([
    ['an invalid duration in the chain', withField('escalation.chain', [minimal.escalation.chain[0], { role: 'service_manager', ackWithin: 'P1X', respondWithin: 'P1D' }]),
      'POLICY_FILE: escalation.chain[1].ackWithin: "P1X" is not an ISO 8601 duration (e.g. P1D, PT4H)'],
    ['an unknown category', withField('sla.categories', { complaints: { firstResponse: 'P5D' } }),
      'POLICY_FILE: sla.categories: unknown category "complaints" (known: ehc_assessment, ehc_plan, annual_review, placement, transport, complaint, general)'],
    ['an empty chain', withField('escalation.chain', []), 'POLICY_FILE: escalation.chain: must have at least 1 entry, got none'],
    ['a zero threshold', withField('unanswered.threshold', 0), 'POLICY_FILE: unanswered.threshold: must be a positive integer, got 0'],
    ['a negative threshold', withField('unanswered.threshold', -2), 'POLICY_FILE: unanswered.threshold: must be a positive integer, got -2'],
    ['a fractional threshold', withField('unanswered.threshold', 2.5), 'POLICY_FILE: unanswered.threshold: must be a positive integer, got 2.5'],
    ['a threshold in quotes', withField('unanswered.threshold', '3'), 'POLICY_FILE: unanswered.threshold: must be a positive integer, got "3"'],
    ['a missing threshold', withField('unanswered.threshold', undefined), 'POLICY_FILE: unanswered.threshold: is required (a positive integer)'],
    ['an unknown role', withField('escalation.chain', [{ role: 'director', ackWithin: 'P1D', respondWithin: 'P1D' }]),
      'POLICY_FILE: escalation.chain[0].role: "director" is not one of "team_manager", "service_manager", "head_of_service"'],
    ['a missing resolution', withField('sla.default', { firstResponse: 'P3D' }), 'POLICY_FILE: sla.default.resolution: is required (string)'],
    ['a week-based duration', withField('sla.urgent', { resolution: 'P1W' }),
      'POLICY_FILE: sla.urgent.resolution: "P1W" uses years, months or weeks, which have no fixed length in working time; use working days or hours (e.g. P1D, PT4H)'],
    ['a misspelt field', withField('unanswered.threshhold', 3), 'POLICY_FILE: unanswered: unknown field "threshhold"'],
    ['an unknown timezone', withField('calendar', { timezone: 'Europe/Londres' }), 'POLICY_FILE: calendar.timezone: "Europe/Londres" is not an IANA time zone (e.g. Europe/London)'],
    ['bad working hours', withField('calendar', { workingHours: { mon: ['9am', '17:00'] } }), 'POLICY_FILE: calendar.workingHours.mon[0]: "9am" is not a clock time HH:MM (00:00 to 24:00)'],
    ['hours that end before they start', withField('calendar', { workingHours: { tue: ['17:00', '09:00'] } }), 'POLICY_FILE: calendar.workingHours.tue: working hours must end after they start, got 17:00–09:00'],
    ['an unknown weekday', withField('calendar', { workingHours: { monday: ['09:00', '17:00'] } }), 'POLICY_FILE: calendar.workingHours: unknown field "monday"'],
    ['working hours neither a map nor "24/7"', withField('calendar', { workingHours: '24x7' }),
      'POLICY_FILE: calendar.workingHours: must be "24/7" or hours per weekday like { mon: ["09:00", "17:00"] }, got "24x7"'],
    ['unknown bank holidays', withField('calendar', { bankHolidays: 'scotland' }), 'POLICY_FILE: calendar.bankHolidays: "scotland" is not one of "england-and-wales", "none"'],
    ['an impossible closure date', withField('calendar', { closures: ['2026-02-30'] }), 'POLICY_FILE: calendar.closures[0]: "2026-02-30" is not a date YYYY-MM-DD'],
    // The keys of issue 10 (sla.dueAt, sla.updateWithin, sla.reopenWithin, intake.maxBackdate, escalation.memory).
    ['a dueAt spelt with hyphens', withField('sla.dueAt', 'end-of-day'), 'POLICY_FILE: sla.dueAt: "end-of-day" is not one of "end_of_day", "exact"'],
    ['a dueAt that is not a word', withField('sla.dueAt', true), 'POLICY_FILE: sla.dueAt: true is not one of "end_of_day", "exact"'],
    ['an invalid updateWithin', withField('sla.updateWithin', 'P1X'), 'POLICY_FILE: sla.updateWithin: "P1X" is not an ISO 8601 duration (e.g. P1D, PT4H)'],
    ['an updateWithin in weeks', withField('sla.updateWithin', 'P2W'),
      'POLICY_FILE: sla.updateWithin: "P2W" uses years, months or weeks, which have no fixed length in working time; use working days or hours (e.g. P1D, PT4H)'],
    ['an updateWithin as a number', withField('sla.updateWithin', 10), 'POLICY_FILE: sla.updateWithin: must be a string, got 10'],
    ['an invalid reopenWithin', withField('sla.reopenWithin', '20 days'), 'POLICY_FILE: sla.reopenWithin: "20 days" is not an ISO 8601 duration (e.g. P1D, PT4H)'],
    ['a negative reopenWithin', withField('sla.reopenWithin', '-P20D'), 'POLICY_FILE: sla.reopenWithin: "-P20D" is not an ISO 8601 duration (e.g. P1D, PT4H)'],
    ['an invalid maxBackdate', withField('intake.maxBackdate', 'P1X'), 'POLICY_FILE: intake.maxBackdate: "P1X" is not an ISO 8601 duration (e.g. P30D, P4W)'],
    ['a maxBackdate in months', withField('intake.maxBackdate', 'P1M'),
      'POLICY_FILE: intake.maxBackdate: "P1M" uses years or months, whose length varies; use days or weeks (e.g. P30D, P4W)'],
    ['a fractional maxBackdate', withField('intake.maxBackdate', 'P1.5D'),
      'POLICY_FILE: intake.maxBackdate: "P1.5D" has a fractional number of days or weeks; use whole days or hours (e.g. P30D, P4W)'],
    ['a misspelt intake field', withField('intake.maxBackDate', 'P30D'), 'POLICY_FILE: intake: unknown field "maxBackDate"'],
    ['an invalid escalation memory', withField('escalation.memory', 'P1X'), 'POLICY_FILE: escalation.memory: "P1X" is not an ISO 8601 duration (e.g. P1D, PT4H)'],
    ['a fractional escalation memory', withField('escalation.memory', 'P1.5D'),
      'POLICY_FILE: escalation.memory: "P1.5D" has a fractional number of days, but a working day has no fixed length: use whole days or hours (e.g. P1D, PT4H)'],
  ])('rejects %s, naming the field and the rule', (_name, obj, message) => {
    const error = errorOf(() => validatePolicy(obj));
    expect(error.message).toBe(message);
    expect(error.name).toBe('PolicyError');
  });

  it('defaults the keys of issue 10 and accepts their other values', () => {
    const policy = validatePolicy(minimal);
    expect(policy.sla).toMatchObject({ dueAt: 'end_of_day', updateWithin: 'P10D', reopenWithin: 'P20D' });
    expect(policy.intake).toEqual({ maxBackdate: 'P30D' });
    expect(policy.escalation.memory).toBe('P20D');
    expect(validatePolicy(withField('sla.dueAt', 'exact')).sla.dueAt).toBe('exact');
    // maxBackdate is calendar time, where weeks have a fixed length.
    expect(validatePolicy(withField('intake.maxBackdate', 'P4W')).intake.maxBackdate).toBe('P4W');
    expect(validatePolicy(withField('intake', {})).intake.maxBackdate).toBe('P30D');
  });

  it('reports every problem at once, one per line, with structured issues', () => {
    const bad = { ...withField('unanswered.threshold', 0), escalation: { chain: [] } };
    const error = errorOf(() => validatePolicy(bad, 'policy.yaml'));
    expect(error.message.split('\n')).toEqual([
      'policy.yaml: unanswered.threshold: must be a positive integer, got 0',
      'policy.yaml: escalation.chain: must have at least 1 entry, got none',
    ]);
    expect(error.issues).toEqual([
      { path: 'unanswered.threshold', message: 'must be a positive integer, got 0' },
      { path: 'escalation.chain', message: 'must have at least 1 entry, got none' },
    ]);
    expect(error.source).toBe('policy.yaml');
  });

  it('names the source it was given, from YAML text', () => {
    const text = API_EXAMPLE.replace('ackWithin: P1D, respondWithin: P2D', 'ackWithin: P1X, respondWithin: P2D');
    expect(() => parsePolicy(text, 'config/policy.yaml')).toThrow(
      new PolicyError('config/policy.yaml', [{ path: 'escalation.chain[1].ackWithin', message: '"P1X" is not an ISO 8601 duration (e.g. P1D, PT4H)' }]),
    );
    expect(errorOf(() => parsePolicy(text, 'config/policy.yaml')).message).toBe(
      'config/policy.yaml: escalation.chain[1].ackWithin: "P1X" is not an ISO 8601 duration (e.g. P1D, PT4H)',
    );
  });

  it('rejects text that is not YAML or JSON, and an empty file', () => {
    expect(errorOf(() => parsePolicy('{"sla": '))).toBeInstanceOf(PolicyError);
    expect(errorOf(() => parsePolicy('{"sla": ')).message).toMatch(/^POLICY_FILE: is not valid YAML or JSON: /);
    expect(errorOf(() => parsePolicy('')).message).toBe('POLICY_FILE: policy is empty');
    expect(errorOf(() => parsePolicy('just a string')).message).toBe('POLICY_FILE: policy must be a YAML mapping or JSON object, got "just a string"');
    expect(errorOf(() => parsePolicy('sla: [1]')).message.split('\n')[0]).toBe('POLICY_FILE: sla: must be an object, got [1]');
  });
});
