import {
  callDecider,
  caseDecider,
  contactIndexesOf,
  contactKey,
  ERASED,
  eraseRequestEventData,
  foldCall,
  foldCase,
  foldUserAccount,
  isSubmitted,
  passwordRehashed,
  accountEnabled,
  personalDataErased,
  replay,
  sessionStands,
  toView,
  userRegistered,
  type CallCommand,
  type CallEvent,
  type CallFold,
  type CaseCommand,
  type CaseContact,
  type CaseEvent,
  type CaseFold,
  type ContactRequestState,
} from '../index';
import { deciderSpec } from '../testing/decider-spec';
import {
  assignRequest,
  assigned,
  at,
  attemptRecorded,
  contactRequestSpec,
  escalationRaised,
  recordResponse,
  reopened,
  resolveRequest,
  resolved,
  responded,
  slaBreached,
  submitted,
} from '../testing/fixtures';

const ERASURE = { erasureId: 'erasure-1', reason: 'erasure' as const, by: 'manager-1', at: '2026-12-01T12:00:00.000Z' };
const erased = (scope: { contacts?: number[]; childName?: boolean } = {}) => personalDataErased(ERASURE, scope);
/** Every string anywhere in a value: to search a state for personal data. */
const strings = (value: unknown): string[] =>
  typeof value === 'string' ? [value] : value && typeof value === 'object' ? Object.values(value).flatMap(strings) : [];

describe('PersonalDataErased in a request stream', () => {
  const s = contactRequestSpec();
  beforeEach(s.reset);
  const family = submitted({
    requester: { role: 'parent', name: 'Sam Parent', email: 'parent@example.org', phone: '+447700900123', userId: 'parent-user-1' },
  });
  const history = [
    family,
    attemptRecorded('a-1', at(10)),
    assigned('officer-1', { at: at(20) }),
    slaBreached('first_response', at(100), at(100)),
    responded(at(150), { summary: 'Called Sam about the assessment.' }),
    resolved(at(200), { outcome: 'Assessment agreed for Sam.' }),
  ];

  it('erases the requester, the subject and the outcome; ids, times, counts, clocks and statuses stay', () => {
    const before = replay(history) as ContactRequestState;
    const after = replay([...history, erased()]) as ContactRequestState;
    expect(after.requester).toEqual({ role: 'parent', name: ERASED, email: ERASED, phone: ERASED, userId: 'parent-user-1' });
    expect(after.subject).toBe(ERASED);
    expect(after.outcome).toBe(ERASED);
    // Everything else is as it was, updatedAt included: the erasure is not news about the request.
    expect({ ...after, requester: before.requester, subject: before.subject, outcome: before.outcome }).toEqual(before);
    const all = strings(after).join('\n');
    for (const personal of ['Sam', 'parent@example.org', '+447700900123', 'Assessment']) expect(all).not.toContain(personal);
    expect(toView(after)).toMatchObject({ subject: ERASED, status: 'resolved', breaches: [{ clock: 'first_response' }] });
  });

  it('leaves "not known" as it was (no email, no phone) and changes nothing when erased again', () => {
    const phoneOnly = submitted({ requester: { role: 'other', name: 'Caller', email: '' } });
    const once = replay([phoneOnly, erased()]) as ContactRequestState;
    expect(once.requester).toEqual({ role: 'other', name: ERASED, email: '' });
    expect(once.outcome).toBeNull();
    expect(replay([erased()], once)).toBe(once);
    expect(replay([erased()])).toEqual({ status: 'none' }); // before a submission: nothing to erase
  });

  it('an open request erased can still be assigned, answered and resolved; new words after it are kept', () =>
    s
      .now(60)
      .given(family, erased())
      .when(assignRequest('officer-2'))
      .thenState((state) => expect(state).toMatchObject({ status: 'assigned', subject: ERASED, requester: { name: ERASED } })));

  it('a reply to an erased request is recorded as usual', () =>
    s
      .now(60)
      .given(family, assigned('officer-1', { at: at(10) }), erased())
      .when(recordResponse('resp-1'))
      .thenState((state, events) => {
        expect(events.map((e) => e.type)).toEqual(['OfficerResponded']);
        expect(state).toMatchObject({ status: 'responded', firstRespondedAt: at(60), requester: { email: ERASED } });
      }));

  it('an erased request can be resolved, and its new outcome is what the officer wrote now', () =>
    s
      .now(60)
      .given(family, responded(at(50)), erased())
      .when(resolveRequest({ outcome: 'Closed after erasure' }))
      .thenState((state) => expect(state).toMatchObject({ status: 'resolved', outcome: 'Closed after erasure', subject: ERASED })));

  it('keeps escalations and reopen periods whole', () => {
    const withEscalation = [family, escalationRaised({ raisedAt: at(30) }), resolved(at(40)), reopened(at(50))];
    const before = replay(withEscalation) as ContactRequestState;
    const after = replay([...withEscalation, erased()]) as ContactRequestState;
    expect(isSubmitted(after) && after.escalation).toEqual(before.escalation);
    expect(after.period).toBe(1);
    expect(after.due).toEqual(before.due);
  });

  it('timeline data: the text fields of request events become ERASED, ids and times stay', () => {
    expect(eraseRequestEventData('ContactRequestSubmitted', { subject: 'S', message: 'M', reference: 'R' })).toEqual({
      subject: ERASED,
      message: ERASED,
      reference: 'R',
    });
    expect(eraseRequestEventData('OfficerResponded', { summary: 'x', at: 't' })).toEqual({ summary: ERASED, at: 't' });
    expect(eraseRequestEventData('RequestReopened', { reason: 'why', at: 't' })).toEqual({ reason: ERASED, at: 't' });
    const noText = { clock: 'first_response' };
    expect(eraseRequestEventData('SlaBreached', noText)).toBe(noText);
    const already = { summary: ERASED };
    expect(eraseRequestEventData('OfficerResponded', already)).toBe(already);
  });
});

describe('PersonalDataErased in a case stream', () => {
  const NOW = new Date('2026-12-01T10:00:00Z');
  const spec = deciderSpec<CaseCommand, CaseEvent, CaseFold, { now: Date }>(caseDecider, () => ({ now: NOW }));
  const mother = { name: 'Pat Parent', relationship: 'mother', email: 'pat@example.org', phone: '+447700900101', userId: 'parent-1' };
  const father = { name: 'Chris Parent', relationship: 'father', phone: '+447700900102' };
  const senco = { name: 'Sue Senco', relationship: 'SENCo', email: 'senco@example.org' };
  const stored = (c: Omit<CaseContact, 'contactId'>): CaseContact => ({ contactId: contactKey(c), ...c });
  const at = '2026-11-01T09:00:00.000Z';
  const opened: CaseEvent = {
    type: 'CaseOpened',
    data: { schemaVersion: 1, caseRef: 'C-1', childName: 'Alex Parent', teamId: 'north', caseOfficerId: 'officer-1', at },
  };
  const link = (c: Omit<CaseContact, 'contactId'>, when = at): CaseEvent => ({
    type: 'CaseContactLinked',
    data: { schemaVersion: 1, caseRef: 'C-1', contact: stored(c), at: when },
  });
  const history = [opened, link(mother), link(father), link(senco)];

  it('erases only the contacts named by index, and the child name when asked; the rest stays', () => {
    const before = foldCase(history)!;
    const after = foldCase([...history, erased({ contacts: [0, 1] })])!;
    expect(after.contacts).toEqual([
      { contactId: ERASED, name: ERASED, relationship: 'mother', email: ERASED, phone: ERASED, userId: 'parent-1' },
      { contactId: ERASED, name: ERASED, relationship: 'father', phone: ERASED },
      stored(senco),
    ]);
    expect(after.childName).toBe('Alex Parent');
    expect({ ...after, contacts: before.contacts }).toEqual(before); // updatedAt, status, team, officer as they were
    expect(foldCase([...history, erased({ childName: true })])!).toEqual({ ...before, childName: ERASED });
  });

  it('names the contacts who are one data subject, not those already erased; out-of-range indexes are ignored', () => {
    const state = foldCase(history)!;
    expect(contactIndexesOf(state.contacts, 'parent-1')).toEqual([0]);
    expect(contactIndexesOf(state.contacts, 'contact:+447700900102')).toEqual([1]);
    expect(contactIndexesOf(state.contacts, 'contact:senco@example.org')).toEqual([2]);
    const after = foldCase([...history, erased({ contacts: [1] })])!;
    expect(contactIndexesOf(after.contacts, 'contact:+447700900102')).toEqual([]);
    expect(foldCase([...history, erased({ contacts: [7] })])).toEqual(state);
  });

  it('a sync after an erasure still decides: it links what the import holds and drops the erased entry it does not', () =>
    spec
      .given(...history, erased({ contacts: [1] }))
      .when({ type: 'SyncCase', caseRef: 'C-1', childName: 'Alex Parent', teamId: 'north', caseOfficerId: 'officer-1', contacts: [mother, senco] })
      .thenState((state, events) => {
        expect(events.map((e) => e.type)).toEqual(['CaseContactUnlinked']);
        expect(state!.contacts).toEqual([stored(mother), stored(senco)]);
      }));

  it('a replay of a shredded stream (erased contacts read ERASED everywhere) ends as the live fold did', () => {
    // What the store hands over once the keys of the mother and the father are gone (ADR: missing key reads ERASED).
    const shred = (c: Omit<CaseContact, 'contactId'>): CaseEvent => ({
      type: 'CaseContactLinked',
      data: {
        schemaVersion: 1,
        caseRef: 'C-1',
        contact: {
          ...stored(c),
          contactId: ERASED,
          name: ERASED,
          ...(c.email ? { email: ERASED } : {}),
          ...(c.phone ? { phone: ERASED } : {}),
        },
        at,
      },
    });
    const newPhone = { ...mother, phone: '+447700900199' };
    const live = [opened, link(mother), link(father), link(senco), link(newPhone), erased({ contacts: [0, 1] })];
    const shredded = [opened, shred(mother), shred(father), link(senco), shred(newPhone), erased({ contacts: [0, 1] })];
    expect(foldCase(shredded)).toEqual(foldCase(live));
  });
});

describe('PersonalDataErased in a user account stream', () => {
  const parent = { email: 'sam@example.org', name: 'Sam Parent', role: 'parent', teamId: null, passwordHash: 'h1' };
  const now = new Date('2026-12-01T12:00:00.000Z');

  it('erases name, email and password hash, disables the account for good and ends its sessions', () => {
    const account = foldUserAccount([userRegistered(parent), erased()])!;
    expect(account).toMatchObject({ name: ERASED, email: ERASED, passwordHash: '', role: 'parent', disabled: true, erased: true });
    expect(account.sessionsValidFrom).toBe(ERASURE.at);
    expect(sessionStands(account, Date.parse('2026-12-01T11:00:00Z') / 1000)).toBe(false);
    const userId = account.userId;
    // Enabling it again, or a new hash, does not bring it back.
    const after = foldUserAccount([userRegistered(parent), erased(), accountEnabled(userId, 'admin', now), passwordRehashed(userId, 'h2', now)])!;
    expect(after).toMatchObject({ disabled: true, passwordHash: '', erased: true });
    // A registration after it brings the new details it holds, not the account back.
    const again = foldUserAccount([userRegistered(parent), erased(), userRegistered({ ...parent, name: 'New Name' })])!;
    expect(again).toMatchObject({ name: 'New Name', disabled: true, passwordHash: '', erased: true });
  });

  it('an account never erased has no erased flag (its shape is as before)', () => {
    expect(foldUserAccount([userRegistered(parent)])).not.toHaveProperty('erased');
  });
});

describe('PersonalDataErased in a telephone call stream', () => {
  const NOW = new Date('2026-12-01T10:00:00Z');
  const AT = NOW.toISOString();
  const spec = deciderSpec<CallCommand, CallEvent, CallFold, { now: Date }>(callDecider, () => ({ now: NOW }));
  const received: CallEvent = {
    type: 'CallReceived',
    data: {
      schemaVersion: 1,
      call: { callId: 'call-1', from: '07700 900101', to: '01234 567890', startedAt: '2026-12-01T09:58:00Z', outcome: 'missed', durationSeconds: 0 },
      number: '+447700900101',
      numberIsE164: true,
      at: AT,
    },
  };
  const unmatched: CallEvent = { type: 'CallUnmatched', data: { schemaVersion: 1, callId: 'call-1', number: '+447700900101', at: AT } };

  it('erases the caller number; status, times and the council number stay', () => {
    const before = foldCall([received, unmatched])!;
    const after = foldCall([received, unmatched, erased()])!;
    expect(after).toEqual({ ...before, number: ERASED, call: { ...before.call, from: ERASED } });
    expect(foldCall([received, unmatched, erased(), erased()])).toEqual(after);
  });

  it('an erased unmatched call can still be linked to a case and filed', () =>
    spec
      .given(received, unmatched, erased())
      .when({ type: 'LinkCall', callId: 'call-1', caseRef: 'C-1', by: 'officer-1' })
      .thenState((state, events) => {
        expect(events).toEqual([
          { type: 'CallLinked', data: { schemaVersion: 1, callId: 'call-1', number: ERASED, caseRef: 'C-1', by: 'officer-1', at: AT } },
        ]);
        expect(state).toMatchObject({ status: 'linked', number: ERASED });
      }));
});
