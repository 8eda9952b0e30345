import { validatePolicy } from './parse-policy';
import type { Policy, PolicyInput } from './policy.schema';

// The same values ship as libs/sla/policy.default.yaml (a spec checks they stay identical).
// Each value reproduces a published standard from shared/DOMAIN.md, "Published response standards".
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
      // LGSCO Complaint Handling Code stage 1: acknowledge within 5 working days, respond within
      // 10 working days of the acknowledgement (5 + 10 = 15 from receipt).
      complaint: { firstResponse: 'P5D', resolution: 'P15D' },
    },
    // Cheshire East: decisions told "by end of next working day" (Preston: voicemails within 1);
    // resolution: Devon's "respond within 5 working days".
    urgent: { firstResponse: 'P1D', resolution: 'P5D' },
  },
  // DESIGN.md default: 3 unanswered attempts raise escalation level 1.
  unanswered: { threshold: 3 },
  escalation: {
    // Wokingham's communication promise is itself a three-step chain, 5 working days per step
    // (case officer -> senior case manager -> SEND practice manager): respondWithin P5D.
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
