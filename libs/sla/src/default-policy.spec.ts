import * as fs from 'fs';
import * as path from 'path';
import { defaultPolicy } from './default-policy';
import { parsePolicy } from './parse-policy';

describe('defaultPolicy', () => {
  it('is exactly what libs/sla/policy.default.yaml says', () => {
    const file = path.join(__dirname, '..', 'policy.default.yaml');
    expect(parsePolicy(fs.readFileSync(file, 'utf8'), file)).toEqual(defaultPolicy);
  });

  it('reproduces the published standards', () => {
    expect(defaultPolicy.sla.default).toEqual({ firstResponse: 'P3D', resolution: 'P10D' }); // Cheshire East: 3 working days
    expect(defaultPolicy.sla.categories.complaint).toEqual({ firstResponse: 'P5D', resolution: 'P15D' }); // LGSCO stage 1: 5, then 10
    expect(defaultPolicy.sla.urgent).toEqual({ firstResponse: 'P1D', resolution: 'P5D' });
    expect(defaultPolicy.unanswered.threshold).toBe(3);
    expect(defaultPolicy.escalation.chain.map((l) => l.role)).toEqual(['team_manager', 'service_manager', 'head_of_service']); // Wokingham
    expect(defaultPolicy.calendar).toMatchObject({ timezone: 'Europe/London', bankHolidays: 'england-and-wales' });
  });

  it('cannot be changed by accident (calendars are memoised per policy object)', () => {
    expect(Object.isFrozen(defaultPolicy.sla.default)).toBe(true);
    expect(Object.isFrozen(defaultPolicy.escalation.chain)).toBe(true);
  });
});
