import { defaultPolicy } from '@send/sla';
import type { RequestView } from '@send/domain';
import { dealtWithBy, durationInWords, escalatedTo, firstName, govukDateTime, timelineItem } from './web-words';
import { isPagePath } from './page-paths';

describe('the words the pages show', () => {
  it('puts the policy durations in words', () => {
    expect(durationInWords('P3D')).toBe('3 working days');
    expect(durationInWords('P1D')).toBe('1 working day');
    expect(durationInWords('PT4H')).toBe('4 working hours');
    expect(durationInWords('P1DT2H')).toBe('1 working day and 2 working hours');
  });

  it('names staff by role and first name only', () => {
    expect(firstName('Olu Adeyemi')).toBe('Olu');
    expect(dealtWithBy({ assignee: { id: 'o1', name: 'Olu Adeyemi' }, teamId: 'north' })).toBe('Olu, SEND officer');
    expect(dealtWithBy({ assignee: { id: 'o1', name: null }, teamId: 'north' })).toBe('A SEND officer');
    expect(dealtWithBy({ assignee: null, teamId: 'north' })).toMatch(/^The SEND team/);
    expect(dealtWithBy({ assignee: null, teamId: null })).toMatch(/finding the right team/);
  });

  it("names an open escalation's level by the policy chain's role, never a person", () => {
    const escalation = (level: number, status: 'open' | 'acknowledged' | 'resolved'): Pick<RequestView, 'escalation'> => ({
      escalation: { id: 'e', level, status, raisedAt: '2026-12-01T10:00:00Z', reason: 'unanswered_attempts' },
    });
    expect(escalatedTo(escalation(1, 'open'), defaultPolicy)).toBe('SEND team manager');
    expect(escalatedTo(escalation(3, 'acknowledged'), defaultPolicy)).toBe('Head of SEND');
    expect(escalatedTo(escalation(2, 'resolved'), defaultPolicy)).toBeNull();
    expect(escalatedTo({ escalation: null }, defaultPolicy)).toBeNull();
  });

  it('tells the timeline by role, and leaves out what a family need not read', () => {
    const at = '2026-12-01T10:00:00Z';
    expect(timelineItem({ type: 'EscalationRaised', at, actor: { role: 'system' }, data: { notifyRole: 'service_manager' } })).toEqual({
      label: 'Escalated',
      text: 'Passed to the SEND service manager because nobody had replied',
    });
    expect(timelineItem({ type: 'ContactAttemptRecorded', at, actor: { role: 'parent' }, data: { channel: 'phone' } })!.text).toBe('No answer by phone');
    expect(timelineItem({ type: 'EscalationRenotified', at, actor: { role: 'system' }, data: {} })).toBeNull();
  });

  it('writes dates GOV.UK style in the policy time zone', () => {
    expect(govukDateTime('2026-12-01T14:05:00Z')).toBe('1 December 2026 at 2:05pm');
    expect(govukDateTime('2026-07-01T08:00:00Z')).toBe('1 July 2026 at 9am'); // BST
  });

  it('leaves the API, health, metrics and the queues board to the API', () => {
    for (const path of ['/api/requests', '/api', '/health', '/metrics', '/admin/queues']) expect(isPagePath(path)).toBe(false);
    for (const path of ['/', '/sign-in', '/requests/new', '/apiary', '/healthy']) expect(isPagePath(path)).toBe(true);
  });
});
