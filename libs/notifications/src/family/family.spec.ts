import { ERASED } from '@send/domain';
import { defaultPolicy } from '@send/sla';
import { familyNoticeFor, type FamilyStreamEvent } from './family-notice';
import { familyRoute } from './family-route';
import { firstNameOf, roleInWords, wordFamilyMessage } from './family-wording';

// Personal data and case text on purpose: none of it may reach a family message except the reference.
const CASE_TEXT = {
  subject: 'Wrigglesworth school placement',
  message: 'My son Barnaby has autism and has been out of school since March.',
  summary: 'Phoned mum: panel meets on Friday about Barnaby.',
  outcome: 'Placement agreed at Wrigglesworth.',
  caseRef: 'CASE-PRIVATE-9917',
};
const REQUESTER = { role: 'parent', name: 'Zebedee Quigley-Featherstone', email: 'zeb@example.org', phone: '+447700900123' };
const REF = 'SEND-2026-000123';
// Monday 2 March 2026, 10am; first reply due by the end of Thursday 5 March.
const AT = '2026-03-02T10:00:00.000Z';
const DUE = { firstResponseAt: '2026-03-05T17:00:00.000Z', resolutionAt: '2026-03-30T17:00:00.000Z' };

const ev = (type: string, data: Record<string, unknown>, correlationId = `c-${type}-${Math.random()}`): FamilyStreamEvent => ({
  type,
  data: { schemaVersion: 1, ...data },
  metadata: { correlationId },
});
const submitted = (correlationId = 'submit') =>
  ev(
    'ContactRequestSubmitted',
    {
      requestId: 'r1',
      reference: REF,
      caseRef: CASE_TEXT.caseRef,
      requester: REQUESTER,
      channel: 'portal',
      category: 'transport',
      priority: 'normal',
      subject: CASE_TEXT.subject,
      message: CASE_TEXT.message,
      submittedAt: AT,
      due: DUE,
      teamId: 'north',
    },
    correlationId,
  );
const routed = (officerId: string | null, correlationId = 'submit') =>
  ev(
    'RequestRouted',
    { rule: 'named_case', caseRef: CASE_TEXT.caseRef, teamId: 'north', officerId, needsCover: false, by: 'system', at: AT },
    correlationId,
  );
const assigned = (officerId: string, correlationId?: string) =>
  ev('RequestAssigned', { officerId, teamId: 'north', by: 'm1', at: AT }, correlationId);
const reassigned = (officerId: string) => ev('RequestReassigned', { officerId, teamId: 'north', by: 'm1', at: AT });
const breached = (clock: string, dueAt: string) => ev('SlaBreached', { clock, dueAt, breachedAt: dueAt });
const responded = (kind: 'holding' | 'full', updateDueAt?: string) =>
  ev('OfficerResponded', {
    responseId: 'x',
    officerId: 'o1',
    channel: 'phone',
    summary: CASE_TEXT.summary,
    at: AT,
    kind,
    ...(updateDueAt ? { updateDueAt } : {}),
  });
const resolved = () => ev('RequestResolved', { by: 'o1', outcome: CASE_TEXT.outcome, at: AT });
const reopened = () => ev('RequestReopened', { by: 'u1', reason: 'Still no taxi for Barnaby', at: AT, due: DUE, byRequester: true });

/** The kind of message each event of the stream calls for (null: none). */
const kinds = (stream: FamilyStreamEvent[]) => stream.map((_, i) => familyNoticeFor(stream, i)?.kind ?? null);

describe('which request events tell the family something', () => {
  it('receipt folds in the assignment routing made in the same append; later assignments are a pick-up', () => {
    const stream = [submitted(), routed('o1'), assigned('o1', 'submit'), reassigned('o2')];
    expect(kinds(stream)).toEqual(['received', null, null, 'picked_up']);
    expect(familyNoticeFor(stream.slice(0, 3), 0)).toMatchObject({ kind: 'received', officerId: 'o1' });
    expect(familyNoticeFor(stream, 0)).toMatchObject({ kind: 'received', reference: REF, dueAt: DUE.firstResponseAt, officerId: 'o1' });
    expect(familyNoticeFor(stream, 3)).toMatchObject({ kind: 'picked_up', officerId: 'o2', dueAt: DUE.firstResponseAt });
  });

  it('a request routed to triage gets a receipt with no officer, then a pick-up when claimed', () => {
    const stream = [submitted(), routed(null), assigned('o1')];
    expect(kinds(stream)).toEqual(['received', null, 'picked_up']);
    expect(familyNoticeFor(stream, 0)!.officerId).toBeNull();
  });

  it('assigning the officer who already has it says nothing', () => {
    expect(kinds([submitted(), assigned('o1'), reassigned('o1')])).toEqual(['received', null, null]);
    const stream = [submitted(), assigned('o1'), reassigned('o1')];
    expect(familyNoticeFor(stream.slice(0, 2), 1)?.kind).toBe('picked_up');
  });

  it('late first reply, holding reply, missed update, closing and reopening: one message each', () => {
    const update = '2026-03-20T17:00:00.000Z';
    const stream = [
      submitted(),
      breached('first_response', DUE.firstResponseAt),
      responded('holding', update),
      breached('update', update),
      responded('full'),
      breached('resolution', DUE.resolutionAt),
      resolved(),
      reopened(),
    ];
    // One at a time, as the worker reads them live.
    const live = stream.map((_, i) => familyNoticeFor(stream.slice(0, i + 1), i)?.kind ?? null);
    expect(live).toEqual(['received', 'late', 'holding_reply', 'update_late', null, null, 'resolved', 'reopened']);
    expect(familyNoticeFor(stream.slice(0, 3), 2)!.dueAt).toBe(update);
    expect(familyNoticeFor(stream.slice(0, 4), 3)!.dueAt).toBe(update);
  });

  it('read late (the worker was down), news already overtaken is not sent: only the latest', () => {
    const stream = [
      submitted(),
      assigned('o1'),
      breached('first_response', DUE.firstResponseAt),
      responded('full'),
      resolved(),
      reopened(),
    ];
    expect(kinds(stream)).toEqual(['received', null, null, null, null, 'reopened']);
  });

  it('a breach already told (a duplicate in the stream) is not told twice', () => {
    expect(kinds([submitted(), breached('first_response', DUE.firstResponseAt), breached('first_response', DUE.firstResponseAt)])).toEqual([
      'received',
      'late',
      null,
    ]);
  });

  it('a notice carries the reference, dates and ids only: no subject, message, summary, outcome or case number', () => {
    const stream = [
      submitted(),
      routed('o1'),
      assigned('o1', 'submit'),
      breached('first_response', DUE.firstResponseAt),
      responded('holding', DUE.resolutionAt),
      resolved(),
      reopened(),
    ];
    for (let i = 0; i < stream.length; i++) {
      const notice = familyNoticeFor(stream.slice(0, i + 1), i);
      if (!notice) continue;
      const { requester, ...rest } = notice;
      const text = JSON.stringify(rest);
      for (const secret of Object.values(CASE_TEXT)) expect(text).not.toContain(secret);
    }
  });
});

describe('the words (GOV.UK style, dates in words, first name and role only)', () => {
  const now = new Date(AT);
  const officer = { firstName: firstNameOf('Olu Okonkwo-Officer'), role: 'officer' };
  const notice = (kind: any, over: Record<string, unknown> = {}) => ({
    kind,
    requestId: 'r1',
    reference: REF,
    dueAt: DUE.firstResponseAt,
    officerId: null,
    requester: REQUESTER as any,
    ...over,
  });

  it('receipt: the reference and when we will reply, with who is looking after it', () => {
    const m = wordFamilyMessage(notice('received', { officerId: 'o1' }), { policy: defaultPolicy, now, officer });
    expect(m.subject).toBe(`We have your request ${REF}`);
    expect(m.body).toBe(
      [
        `We have your request. Your reference is ${REF}.`,
        'Olu, a SEND officer, is looking after it.',
        'We will reply by the end of Thursday 5 March.',
        'You do not need to contact us before then. If you do, quote your reference.',
      ].join('\n\n'),
    );
    expect(m.sms).toBe(
      `We have your SEND request ${REF}. Olu, a SEND officer, is looking after it. We will reply by the end of Thursday 5 March.`,
    );
  });

  it('receipt without an officer yet', () => {
    const m = wordFamilyMessage(notice('received'), { policy: defaultPolicy, now });
    expect(m.body).not.toContain('looking after');
    expect(m.body).toContain('We will reply by the end of Thursday 5 March.');
  });

  it('pick-up: first name and role, never the surname', () => {
    const m = wordFamilyMessage(notice('picked_up', { officerId: 'o1' }), { policy: defaultPolicy, now, officer });
    expect(m.subject).toBe(`Your request ${REF} is with Olu`);
    expect(m.body).toContain(`Olu, a SEND officer, is now looking after your request ${REF}.`);
    expect(m.body).not.toContain('Okonkwo');
    expect(roleInWords('team_manager')).toBe('a SEND team manager');
  });

  it('late reply: we have not met our promise; a manager has been told', () => {
    const m = wordFamilyMessage(notice('late'), { policy: defaultPolicy, now: new Date('2026-03-06T09:00:00Z') });
    expect(m.body).toContain(`We promised to reply to your request ${REF} by the end of Thursday 5 March.`);
    expect(m.body).toContain('We have not met our promise. A manager has been told');
    expect(m.sms).toContain('A manager has been told.');
  });

  it('holding reply and a missed update: the update date in words', () => {
    const due = { dueAt: '2026-03-20T17:00:00.000Z' };
    expect(wordFamilyMessage(notice('holding_reply', due), { policy: defaultPolicy, now }).body).toContain(
      `We are looking into your request ${REF}. We will give you an update by the end of Friday 20 March.`,
    );
    expect(wordFamilyMessage(notice('update_late', due), { policy: defaultPolicy, now }).body).toContain(
      `We promised you an update on your request ${REF} by the end of Friday 20 March.\n\nWe have not met our promise. A manager has been told`,
    );
  });

  it('closed and reopened', () => {
    expect(wordFamilyMessage(notice('resolved', { dueAt: null }), { policy: defaultPolicy, now }).body).toBe(
      `We have closed your request ${REF}.\n\nIf you still need help with it, contact us and quote your reference. We will open it again.`,
    );
    const reopenedWords = wordFamilyMessage(notice('reopened'), { policy: defaultPolicy, now });
    expect(reopenedWords.subject).toBe(`Your request ${REF} is open again`);
    expect(reopenedWords.body).toContain('We will reply by the end of Thursday 5 March.');
  });

  it('texts fit in two text messages (306 characters)', () => {
    for (const kind of ['received', 'picked_up', 'late', 'holding_reply', 'update_late', 'resolved', 'reopened'])
      expect(wordFamilyMessage(notice(kind, { officerId: 'o1' }), { policy: defaultPolicy, now, officer }).sms.length).toBeLessThanOrEqual(
        306,
      );
  });
});

describe('which channel reaches the family', () => {
  const both = { email: true, sms: true };
  it('their choice; none is nothing at all', () => {
    expect(familyRoute(REQUESTER, 'sms', both)).toEqual({ channel: 'sms', to: REQUESTER.phone });
    expect(familyRoute(REQUESTER, 'email', both)).toEqual({ channel: 'email', to: REQUESTER.email });
    expect(familyRoute(REQUESTER, 'none', both)).toBeNull();
  });
  it('no choice: email when they have one, else a text', () => {
    expect(familyRoute(REQUESTER, null, both)).toEqual({ channel: 'email', to: REQUESTER.email });
    expect(familyRoute({ email: '', phone: REQUESTER.phone }, null, both)).toEqual({ channel: 'sms', to: REQUESTER.phone });
    expect(familyRoute({ email: '' }, null, both)).toBeNull();
  });
  it('a chosen way that cannot be used falls back to the other', () => {
    expect(familyRoute(REQUESTER, 'sms', { email: true, sms: false })).toEqual({ channel: 'email', to: REQUESTER.email });
    expect(familyRoute({ email: '', phone: REQUESTER.phone }, 'email', both)).toEqual({ channel: 'sms', to: REQUESTER.phone });
  });
  it('erased details (issue 14) reach no one: never a message to "[erased]"', () => {
    expect(familyRoute({ email: ERASED, phone: ERASED }, null, both)).toBeNull();
    expect(familyRoute({ email: ERASED, phone: ERASED }, 'sms', both)).toBeNull();
    expect(familyRoute({ email: ERASED, phone: REQUESTER.phone }, 'email', both)).toEqual({ channel: 'sms', to: REQUESTER.phone });
  });
});
