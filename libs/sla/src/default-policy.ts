import { validatePolicy } from './parse-policy';
import type { Policy, PolicyInput } from './policy.schema';

// The same values ship as libs/sla/policy.default.yaml (a spec checks they stay identical).
// Each value cites its source: a published standard from shared/DOMAIN.md ("Published response
// standards"), or, where there is none, says it is this service's choice and why.
const office = ['09:00', '17:00'] as [string, string];
const defaults: PolicyInput = {
  calendar: {
    timezone: 'Europe/London',
    // Devon: phone lines Mon–Fri 09:00–17:00; the usual council working day.
    workingHours: { mon: office, tue: office, wed: office, thu: office, fri: office },
    bankHolidays: 'england-and-wales',
    closures: [],
  },
  sla: {
    // Cheshire East: "reply within 3 working days of an email or phone message".
    // Resolution: Preston's "reply within 10 working days" (also LGSCO stage 1's 10-day response).
    default: { firstResponse: 'P3D', resolution: 'P10D' },
    categories: {
      // Local Government and Social Care Ombudsman, Complaint Handling Code stage 1: acknowledge
      // within 5 working days, respond within 10 working days counted from the acknowledgement.
      // Clocks here run from receipt, so P15D is the code's latest date (acknowledged on day 5);
      // a complaint acknowledged sooner is due sooner under the code.
      complaint: { firstResponse: 'P5D', resolution: 'P15D' },
    },
    // Cheshire East: decisions told "by end of next working day" (Preston: voicemails within 1);
    // resolution: Devon's "respond within 5 working days".
    urgent: { firstResponse: 'P1D', resolution: 'P5D' },
    // "Within 3 working days" means by the close of the third working day, as the councils above
    // count it: a reply on the last afternoon is on time.
    dueAt: 'end_of_day',
    // Cheshire East: "an update every 14 days". Calendar days (it does not say working days), and
    // policy durations are working time: 14 calendar days are 10 working days, whereas P14D would
    // stretch to almost three weeks.
    updateWithin: 'P10D',
    // No published standard (DOMAIN.md has none): this service's choice. Four working weeks, two
    // update intervals: long enough for a family to find a reply did not settle it, short enough that
    // it is still the same matter (later, a new request).
    reopenWithin: 'P20D',
  },
  // DESIGN.md default: 3 unanswered attempts raise escalation level 1.
  unanswered: { threshold: 3 },
  // No published standard (DOMAIN.md has none): this service's choice, in calendar days. A month
  // covers a letter that waited in the post or through an officer's leave (Wokingham allows 10
  // working days just to acknowledge a letter); older contacts are new requests, not backdated ones.
  intake: { maxBackdate: 'P30D' },
  // Councils keep SEND correspondence six years after the matter closed (the Limitation Act's six
  // years for a claim, as the LGA's retention guidance applies it): calendar years from resolution.
  retention: { closedRequests: 'P6Y' },
  escalation: {
    // No published standard (DOMAIN.md has none): this service's choice. A family that needs a new
    // escalation within four working weeks (the same span as reopenWithin) has the same unanswered
    // problem: it goes back to the manager who last had it, not to the start of the chain.
    memory: 'P20D',
    // Wokingham's communication promise is itself a chain of 5 + 5 working days: no reply from the
    // case officer after 5 working days goes to the senior case manager (+5), then to the SEND
    // practice manager (+5): respondWithin P5D at each level.
    // ackWithin P2D: Preston's "acknowledge letters/emails within 2 working days" — an escalated
    // family has already waited, so a manager owns it faster than the first-contact standard.
    chain: [
      { role: 'team_manager', ackWithin: 'P2D', respondWithin: 'P5D' },
      { role: 'service_manager', ackWithin: 'P2D', respondWithin: 'P5D' },
      { role: 'head_of_service', ackWithin: 'P2D', respondWithin: 'P5D' },
    ],
  },
};

const deepFreeze = <T>(value: T): T => {
  if (value && typeof value === 'object') {
    Object.values(value).forEach(deepFreeze);
    Object.freeze(value);
  }
  return value;
};

/** The built-in policy; frozen, because calendars are memoised per policy object. */
export const defaultPolicy: Policy = deepFreeze(validatePolicy(defaults, 'defaultPolicy'));
