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
    expect(defaultPolicy.sla.dueAt).toBe('end_of_day'); // "within 3 working days" = by the close of the third
    expect(defaultPolicy.sla.updateWithin).toBe('P10D'); // Cheshire East: an update every 14 (calendar) days
    expect(defaultPolicy.sla.reopenWithin).toBe('P20D'); // this service's choice
    expect(defaultPolicy.intake.maxBackdate).toBe('P30D'); // this service's choice, calendar days
    expect(defaultPolicy.escalation.memory).toBe('P20D'); // this service's choice
  });

  it('cites a source (or says it is this service\'s choice) for each new key in the YAML file', () => {
    const text = fs.readFileSync(path.join(__dirname, '..', 'policy.default.yaml'), 'utf8');
    const commentBefore = (key: string) => {
      const lines = text.split('\n');
      const at = lines.findIndex((l) => l.trimStart().startsWith(`${key}:`));
      const comments: string[] = [];
      for (let i = at - 1; i >= 0 && lines[i].trimStart().startsWith('#'); i--) comments.unshift(lines[i]);
      return comments.join(' ');
    };
    expect(commentBefore('updateWithin')).toContain('Cheshire East');
    expect(commentBefore('dueAt')).toMatch(/close of the 3rd working day/);
    for (const key of ['reopenWithin', 'maxBackdate', 'memory']) expect(commentBefore(key)).toContain("this service's choice");
  });

  it('cannot be changed by accident (calendars are memoised per policy object)', () => {
    expect(Object.isFrozen(defaultPolicy.sla.default)).toBe(true);
    expect(Object.isFrozen(defaultPolicy.escalation.chain)).toBe(true);
  });
});
