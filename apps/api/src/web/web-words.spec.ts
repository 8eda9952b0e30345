import { defaultPolicy } from '@send/sla';
import type { RequestView } from '@send/domain';
import type { QueueEntry } from '@send/read-models';
import {
  dealtWithBy,
  durationInWords,
  escalatedTo,
  firstName,
  formErrors,
  govukDateTime,
  queueFlags,
  queueRow,
  replyDueWords,
  runningDue,
  staffTimelineItem,
  timelineItem,
  whenItHappened,
} from './web-words';
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
    expect(timelineItem({ type: 'PersonalDataErased', at, actor: { role: 'service_manager' }, data: { reason: 'erasure' } })!.label).toBe('Personal details erased');
    expect(timelineItem({ type: 'PersonalDataErased', at, actor: { role: 'system' }, data: { reason: 'retention' } })!.text).toMatch(/then erased/);
  });

  it('dates a request filed late by when it reached the service, every other entry by its own time', () => {
    const filed = '2026-12-05T07:11:00Z';
    const letter = {
      type: 'ContactRequestSubmitted',
      at: filed,
      actor: { role: 'officer' },
      data: { channel: 'letter', receivedAt: '2026-11-25T09:00:00Z' },
    };
    expect(whenItHappened(letter)).toBe('2026-11-25T09:00:00Z');
    expect(whenItHappened({ ...letter, data: { channel: 'portal' } })).toBe(filed);
    expect(
      whenItHappened({ type: 'RequestRouted', at: filed, actor: { role: 'system' }, data: { receivedAt: '2026-11-25T09:00:00Z' } }),
    ).toBe(filed);
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

describe('"Reply due" on the family\'s pages', () => {
  const due = { firstResponseAt: '2026-12-04T17:00:00Z', resolutionAt: '2026-12-18T17:00:00Z' };
  const words = (d: Date) => `by the end of ${d.toISOString().slice(0, 10)}`;
  const view = (over: Partial<RequestView> = {}) =>
    ({ status: 'assigned', due, firstRespondedAt: null, updateDueAt: null, ...over }) as RequestView;
  const before = new Date('2026-12-04T16:59:00Z');
  const after = new Date('2026-12-04T17:01:00Z');

  it("gives the first reply's due time until it passes, then says the reply is late", () => {
    expect(replyDueWords(view(), before, words)).toEqual({ text: 'By the end of 2026-12-04', by: 'by the end of 2026-12-04', late: false });
    expect(replyDueWords(view(), new Date(due.firstResponseAt), words).late).toBe(false); // due at that instant, not yet late
    expect(replyDueWords(view(), after, words)).toEqual({
      text: 'We said we would reply by the end of 2026-12-04',
      by: 'by the end of 2026-12-04',
      late: true,
    });
  });

  it('after a holding reply, gives the update owed, late once past; after a full reply, nothing is owed', () => {
    const holding = view({ firstRespondedAt: '2026-12-02T10:00:00Z', updateDueAt: '2026-12-09T17:00:00Z' });
    expect(replyDueWords(holding, new Date('2026-12-08T09:00:00Z'), words)).toMatchObject({
      text: 'By the end of 2026-12-09',
      late: false,
    });
    expect(replyDueWords(holding, new Date('2026-12-10T09:00:00Z'), words)).toMatchObject({
      text: 'We said we would update you by the end of 2026-12-09',
      late: true,
    });
    // Long past the first reply's due time, which was met: not late.
    expect(replyDueWords(view({ firstRespondedAt: '2026-12-02T10:00:00Z' }), new Date('2027-01-10T09:00:00Z'), words)).toEqual({
      text: 'Replied',
      by: null,
      late: false,
    });
  });

  it('owes nothing once closed: "Replied", or "Closed" for one closed without a reply, however late it was', () => {
    const later = new Date('2027-01-10T09:00:00Z');
    expect(replyDueWords(view({ status: 'resolved', firstRespondedAt: '2026-12-05T10:00:00Z' }), later, words)).toEqual({
      text: 'Replied',
      by: null,
      late: false,
    });
    expect(replyDueWords(view({ status: 'resolved' }), later, words)).toEqual({ text: 'Closed', by: null, late: false });
  });
});

describe('the words of the staff pages', () => {
  const due = { firstResponseAt: '2026-12-04T17:00:00Z', resolutionAt: '2026-12-18T17:00:00Z' };

  const entry = (over: Partial<QueueEntry> = {}): QueueEntry => ({
    id: 'r1',
    reference: 'SEND-2026-000001',
    caseRef: 'C-1001',
    status: 'assigned',
    category: 'annual_review',
    priority: 'normal',
    requesterRole: 'parent',
    assignee: { id: 'o1', name: 'Olu Adeyemi' },
    teamId: 'north',
    needsCover: false,
    requesterFlaggedUrgent: false,
    submittedAt: '2026-12-01T10:00:00Z',
    due,
    unansweredAttempts: 2,
    lastAttemptAt: null,
    escalation: null,
    score: 1,
    ...over,
  });

  it('works to the first reply, then an update owed after a holding reply, then the close', () => {
    expect(runningDue(due, false, null)).toEqual({ what: 'reply', at: due.firstResponseAt });
    expect(runningDue(due, true, '2026-12-10T17:00:00Z')).toEqual({ what: 'update', at: '2026-12-10T17:00:00Z' });
    expect(runningDue(due, true, '2026-12-30T17:00:00Z')).toEqual({ what: 'close', at: due.resolutionAt });
    expect(runningDue(due, true, null)).toEqual({ what: 'close', at: due.resolutionAt });
  });

  it('flags a queue row: escalated, overdue, urgent (or only flagged so), needing cover', () => {
    expect(queueFlags(entry(), false)).toEqual([]);
    const all = queueFlags(entry({ escalation: { level: 1, status: 'open' }, priority: 'urgent', requesterFlaggedUrgent: true, needsCover: true }), true);
    expect(all.map((f) => f.text)).toEqual(['Escalated', 'Overdue', 'Urgent', 'Needs cover']);
    expect(all[0]!.classes).toContain('moj-badge');
    expect(queueFlags(entry({ requesterFlaggedUrgent: true }), false).map((f) => f.text)).toEqual(['Flagged urgent']);
    expect(queueFlags(entry({ escalation: { level: 1, status: 'resolved' } }), false)).toEqual([]);
  });

  it('makes a queue row from the entry and the view, with the due time in words and overdue when past', () => {
    const words = (d: Date) => `by ${d.toISOString()}`;
    const view = { subject: 'Annual review date', due, firstRespondedAt: null, updateDueAt: null } as unknown as RequestView;
    const row = queueRow(entry(), view, new Date('2026-12-02T09:00:00Z'), words);
    expect(row).toMatchObject({ reference: 'SEND-2026-000001', subject: 'Annual review date', category: 'Annual review', tries: 2, overdue: false });
    expect(row.due).toBe(`Reply by ${new Date(due.firstResponseAt).toISOString()}`);
    const late = queueRow(entry(), view, new Date('2026-12-07T09:00:00Z'), words);
    expect(late.overdue).toBe(true);
    expect(late.flags.map((f) => f.text)).toEqual(['Overdue']);
    // Not projected yet: the entry alone, with no subject.
    expect(queueRow(entry({ status: 'responded' }), null, new Date('2026-12-02T09:00:00Z'), words)).toMatchObject({ subject: '', due: `Close by ${new Date(due.resolutionAt).toISOString()}` });
  });

  it('tells staff what families are not told: triage, who took it, priority, a close without a reply', () => {
    const at = '2026-12-01T10:00:00Z';
    const staff = { role: 'officer' };
    expect(staffTimelineItem({ type: 'RequestRouted', at, actor: { role: 'system' }, data: { teamId: null, rule: 'several_cases' } })).toEqual({
      label: 'Sent to triage',
      text: 'No case named, and the sender is linked to several',
    });
    expect(staffTimelineItem({ type: 'RequestAssigned', at, actor: staff, data: { officerId: 'o1', teamId: 'north' } }, { o1: 'Olu Adeyemi' })!.text).toBe(
      'To Olu Adeyemi (north team)',
    );
    expect(staffTimelineItem({ type: 'PriorityChanged', at, actor: staff, data: { priority: 'urgent' } })!.label).toBe('Priority changed');
    expect(
      staffTimelineItem({ type: 'RequestResolved', at, actor: staff, data: { outcome: 'Sorted by phone', withoutReply: { reason: 'answered_outside' } } }),
    ).toEqual({ label: 'Closed without a reply', text: 'Sorted by phone (They were answered another way)' });
    // Everything else as the family reads it.
    expect(staffTimelineItem({ type: 'ContactAttemptRecorded', at, actor: { role: 'parent' }, data: { channel: 'phone' } })!.text).toBe('No answer by phone');
  });

  it("puts the API's problems on the form's fields in the form's words", () => {
    const messages = { summary: { missing: 'Enter what you told the family', tooLong: 'Too long', max: 5 }, channel: { missing: 'Select how you replied' } };
    const invalid = (field: string) => ({ type: 'https://x/problems/invalid-input', errors: [{ field, message: 'must not be empty' }] });
    expect(formErrors(invalid('summary'), messages, { summary: '' })).toEqual([{ field: 'summary', text: 'Enter what you told the family' }]);
    expect(formErrors(invalid('summary'), messages, { summary: 'far too long' })).toEqual([{ field: 'summary', text: 'Too long' }]);
    expect(formErrors({ type: 'https://x/problems/invalid-command', detail: 'channel: must be one of ...' }, messages)).toEqual([
      { field: 'channel', text: 'Select how you replied' },
    ]);
    // A broken rule goes on the field it is about, or the form's first.
    const resolve = { outcome: { missing: 'Enter how it was resolved' }, 'withoutReply.reason': { missing: 'Select why' } };
    expect(formErrors({ type: 'https://x/problems/reply-needed', detail: '...' }, resolve)[0]!.field).toBe('withoutReply.reason');
    expect(formErrors({ type: 'https://x/problems/request-closed', detail: '...' }, messages)).toEqual([
      { field: 'summary', text: 'This request is closed: reopen it first' },
    ]);
    expect(formErrors({ type: 'https://x/problems/reopen-window-closed' }, { reason: { missing: 'Enter why' } })[0]!.text).toMatch(/too long since/);
  });
});
