import fc from 'fast-check';
import { InvalidCommand } from '../contact-request/errors';
import { deciderSpec } from '../testing/decider-spec';
import {
  caseDecider,
  CaseNotFound,
  caseRefOf,
  caseStreamId,
  contactKey,
  decideCase,
  evolveCase,
  foldCase,
  isCaseContact,
  type CaseCommand,
  type CaseContact,
  type CaseContactInput,
  type CaseEvent,
  type CaseFold,
  type SyncCase,
} from './case';
import { isE164, toE164 } from './phone';

const NOW = new Date('2026-12-01T10:00:00Z');
const AT = NOW.toISOString();
const EARLIER = '2026-11-01T09:00:00.000Z';
const spec = deciderSpec<CaseCommand, CaseEvent, CaseFold, { now: Date }>(caseDecider, () => ({ now: NOW }));

const parent: CaseContactInput = {
  name: 'Pat Parent',
  relationship: 'mother',
  email: 'parent@example.org',
  phone: '+447700900101',
  userId: 'parent-1',
};
const senco: CaseContactInput = { name: 'Sue Senco', relationship: 'SENCo', email: 'senco@example.org' };
const stored = (c: CaseContactInput): CaseContact => ({ contactId: contactKey(c), ...c });

const sync = (over: Partial<SyncCase> = {}): SyncCase => ({
  type: 'SyncCase',
  caseRef: 'C-1001',
  childName: 'Sam',
  teamId: 'north',
  caseOfficerId: 'officer-1',
  contacts: [parent, senco],
  ...over,
});
const opened = (at = EARLIER): CaseEvent => ({
  type: 'CaseOpened',
  data: { schemaVersion: 1, caseRef: 'C-1001', childName: 'Sam', teamId: 'north', caseOfficerId: 'officer-1', at },
});
const linked = (c: CaseContactInput, at = AT): CaseEvent => ({
  type: 'CaseContactLinked',
  data: { schemaVersion: 1, caseRef: 'C-1001', contact: stored(c), at },
});
const unlinked = (contactId: string, at = AT): CaseEvent => ({
  type: 'CaseContactUnlinked',
  data: { schemaVersion: 1, caseRef: 'C-1001', contactId, at },
});
const closed = (): CaseEvent => ({ type: 'CaseClosed', data: { schemaVersion: 1, caseRef: 'C-1001', reason: 'Moved away', at: EARLIER } });
/** The case as it stands after opened(), linked(parent), linked(senco). */
const known = (): CaseEvent[] => [opened(), linked(parent, EARLIER), linked(senco, EARLIER)];

describe('SyncCase', () => {
  it('opens a new case with its contacts', () => spec.given().when(sync()).then(opened(AT), linked(parent), linked(senco)));

  it('the same case again is nothing', () =>
    spec
      .given(...known())
      .when(sync())
      .thenNothing());

  it('records only the fields that changed', () =>
    spec
      .given(...known())
      .when(sync({ teamId: 'south', caseOfficerId: 'officer-3' }))
      .then({ type: 'CaseUpdated', data: { schemaVersion: 1, caseRef: 'C-1001', teamId: 'south', caseOfficerId: 'officer-3', at: AT } }));

  it('updates a contact whose details changed, in place, and unlinks those no longer listed', () =>
    spec
      .given(...known())
      .when(sync({ contacts: [{ ...parent, phone: '+447700900102' }] }))
      .thenState((state, events) => {
        expect(events).toEqual([linked({ ...parent, phone: '+447700900102' }), unlinked('email:senco@example.org')]);
        expect(state!.contacts).toEqual([stored({ ...parent, phone: '+447700900102' })]);
      }));

  it('keeps the contacts when none are given', () =>
    spec
      .given(...known())
      .when(sync({ contacts: undefined, childName: 'Samuel' }))
      .thenMatches({ type: 'CaseUpdated', data: { childName: 'Samuel' } }));

  it('normalises contacts: trimmed, email lower case; so a differently typed same contact is nothing', () =>
    spec
      .given(...known())
      .when(sync({ contacts: [{ ...parent, name: ' Pat Parent ', email: 'PARENT@Example.org' }, senco] }))
      .thenNothing());

  it('reopens a closed case', () =>
    spec
      .given(...known(), closed())
      .when(sync())
      .then({ type: 'CaseReopened', data: { schemaVersion: 1, caseRef: 'C-1001', at: AT } }));

  it.each([
    ['caseRef', sync({ caseRef: 'no spaces allowed' })],
    ['childName', sync({ childName: '  ' })],
    ['teamId', sync({ teamId: 'North Team' })],
    ['caseOfficerId', sync({ caseOfficerId: '' })],
    ['contacts[1].email', sync({ contacts: [parent, { ...senco, email: 'not-an-email' }] })],
    ['contacts[0].phone', sync({ contacts: [{ ...parent, phone: '07700 900101' }] })],
    ['contacts[0].relationship', sync({ contacts: [{ ...parent, relationship: '' }] })],
    ['contacts[1]', sync({ contacts: [parent, { ...parent, name: 'Pat again' }] })],
  ])('refuses a bad %s, naming it', (field, command) =>
    spec
      .given()
      .when(command)
      .thenThrows(InvalidCommand, (e) => expect((e as InvalidCommand).field).toBe(field)),
  );
});

describe('LinkContact, UnlinkContact, CloseCase', () => {
  it('links a new contact; the same again is nothing', () => {
    spec
      .given(...known())
      .when({ type: 'LinkContact', caseRef: 'C-1001', contact: { name: 'Dee Dad', relationship: 'father', phone: '+447700900300' } })
      .then(linked({ name: 'Dee Dad', relationship: 'father', phone: '+447700900300' }));
    spec
      .given(...known())
      .when({ type: 'LinkContact', caseRef: 'C-1001', contact: senco })
      .thenNothing();
  });

  it('unlinks a linked contact; an unknown one is nothing', () => {
    spec
      .given(...known())
      .when({ type: 'UnlinkContact', caseRef: 'C-1001', contactId: 'email:senco@example.org' })
      .then(unlinked('email:senco@example.org'));
    spec
      .given(...known())
      .when({ type: 'UnlinkContact', caseRef: 'C-1001', contactId: 'email:nobody@example.org' })
      .thenNothing();
  });

  it('closes an open case once', () => {
    spec
      .given(...known())
      .when({ type: 'CloseCase', caseRef: 'C-1001', reason: ' Moved away ' })
      .then({ type: 'CaseClosed', data: { schemaVersion: 1, caseRef: 'C-1001', reason: 'Moved away', at: AT } });
    spec
      .given(...known(), closed())
      .when({ type: 'CloseCase', caseRef: 'C-1001', reason: 'again' })
      .thenNothing();
  });

  it.each<CaseCommand>([
    { type: 'LinkContact', caseRef: 'C-1001', contact: senco },
    { type: 'UnlinkContact', caseRef: 'C-1001', contactId: 'x' },
    { type: 'CloseCase', caseRef: 'C-1001', reason: 'r' },
  ])('$type on a case that does not exist is CaseNotFound', (command) => spec.given().when(command).thenThrows(CaseNotFound));
});

describe('case helpers', () => {
  it('names the stream and reads the caseRef back', () => {
    expect(caseStreamId('C-1001')).toBe('case-C-1001');
    expect(caseRefOf('case-C-1001')).toBe('C-1001');
    expect(caseRefOf('contact-request-1')).toBeNull();
  });

  it('knows a contact by portal account or by email, in any case', () => {
    const state = foldCase(known())!;
    expect(isCaseContact(state, { id: 'parent-1', email: 'other@example.org' })).toBe(true);
    expect(isCaseContact(state, { id: 'someone', email: 'SENCO@example.org' })).toBe(true);
    expect(isCaseContact(state, { id: 'someone', email: 'someone@example.org' })).toBe(false);
  });

  it.each([
    ['07700 900101', '+447700900101'],
    ['+44 7700 900101', '+447700900101'],
    ['0044 7700 900101', '+447700900101'],
    ['(020) 7946 0000', '+442079460000'],
    ['12', null],
    ['', null],
    ['not a number', null],
  ])('toE164(%j) is %j', (raw, e164) => {
    expect(toE164(raw)).toBe(e164);
    if (e164) expect(isE164(e164)).toBe(true);
  });
});

describe('SyncCase properties', () => {
  const word = fc.stringMatching(/^[A-Za-z][A-Za-z ]{0,11}[A-Za-z]$/);
  const contact: fc.Arbitrary<CaseContactInput> = fc.record(
    {
      name: word,
      relationship: fc.constantFrom('mother', 'father', 'carer', 'SENCo', 'social worker'),
      email: fc.stringMatching(/^[a-z]{1,6}@example\.(org|com)$/),
      phone: fc.integer({ min: 0, max: 999 }).map((n) => `+447700900${String(n).padStart(3, '0')}`),
      userId: fc.constantFrom('user-1', 'user-2'),
    },
    { requiredKeys: ['name', 'relationship'] },
  );
  const command: fc.Arbitrary<SyncCase> = fc.record({
    type: fc.constant('SyncCase' as const),
    caseRef: fc.constant('C-1001'),
    childName: word,
    teamId: fc.constantFrom('north', 'south'),
    caseOfficerId: fc.constantFrom('officer-1', 'officer-2'),
    contacts: fc.uniqueArray(contact, { selector: (c) => contactKey({ ...c, name: c.name.trim() }), maxLength: 5 }),
  });
  /** Any state a case may be in: nothing yet, or after an earlier sync (maybe closed since). */
  const before: fc.Arbitrary<CaseEvent[]> = fc.option(fc.tuple(command, fc.boolean()), { nil: undefined }).map((prior) => {
    if (!prior) return [];
    const events = decideCase(prior[0], null, { now: new Date(EARLIER) });
    return prior[1] ? [...events, closed()] : events;
  });
  const byId = (cs: CaseContact[]) => [...cs].sort((a, b) => a.contactId.localeCompare(b.contactId));

  it('syncing the same case twice appends nothing the second time, and the fold is the synced input', () =>
    fc.assert(
      fc.property(before, command, (history, cmd) => {
        const start = foldCase(history);
        const first = decideCase(cmd, start, { now: NOW });
        const after = first.reduce(evolveCase, start);
        expect(decideCase(cmd, after, { now: NOW })).toEqual([]);
        expect(after).toMatchObject({
          status: 'open',
          caseRef: cmd.caseRef,
          childName: cmd.childName,
          teamId: cmd.teamId,
          caseOfficerId: cmd.caseOfficerId,
        });
        const expected = cmd.contacts!.map((c) => stored({ ...c, name: c.name.trim() }));
        expect(byId(after!.contacts)).toEqual(byId(expected));
      }),
    ));
});
