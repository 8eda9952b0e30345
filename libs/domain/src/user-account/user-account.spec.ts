import fc from 'fast-check';
import {
  accountDisabled,
  accountEnabled,
  availabilitySet,
  passwordChanged,
  passwordRehashed,
  sessionsRevoked,
  sessionStands,
  evolveUserAccount,
  isAwayAt,
  foldUserAccount,
  USER_STREAM_PREFIX,
  userIdFor,
  userRegistered,
  userStreamFor,
  userStreamId,
} from '../index';

describe('user account', () => {
  const officer = { email: 'officer@example.org', name: 'Olu Officer', role: 'officer', teamId: 'north', passwordHash: 'h1' };

  it('derives the same ids from an email forever (stored accounts depend on them), whatever its case and spaces', () => {
    expect(userIdFor('officer@example.org')).toBe('e91dab0f-3cd6-53c7-836e-f43b974fc0e9');
    expect(userIdFor('  Officer@Example.org ')).toBe('e91dab0f-3cd6-53c7-836e-f43b974fc0e9');
    expect(userStreamFor('officer@example.org')).toBe(`${USER_STREAM_PREFIX}e91dab0f-3cd6-53c7-836e-f43b974fc0e9`);
    expect(userStreamId('abc')).toBe('user-abc');
    expect(userRegistered(officer).id).toBe('82463cb8-4418-50ca-a659-59e8b1fb038b'); // one registration per account
  });

  it('folds the registration into the account, the latest registration winning', () => {
    const first = userRegistered(officer);
    const moved = userRegistered({ ...officer, role: 'team_manager', teamId: 'south', passwordHash: 'h2' });
    expect(foldUserAccount([first])).toEqual({
      userId: userIdFor(officer.email),
      ...officer,
      awayFrom: null,
      awayUntil: null,
      disabled: false,
      sessionsValidFrom: null,
    });
    expect(foldUserAccount([first, moved])).toMatchObject({ role: 'team_manager', teamId: 'south', passwordHash: 'h2' });
    expect(foldUserAccount([])).toBeNull();
  });

  it('changes nothing for other events or a registration without an id or role', () => {
    const account = foldUserAccount([userRegistered(officer)]);
    expect(evolveUserAccount(account, { type: 'SomethingElse', data: { userId: 'x', role: 'admin' } })).toBe(account);
    expect(evolveUserAccount(account, { type: 'UserRegistered', data: {} })).toBe(account);
    expect(evolveUserAccount(null, { type: 'UserRegistered', data: { userId: 'x' } })).toBeNull();
  });

  describe('availability', () => {
    const now = new Date('2026-12-07T09:00:00Z');
    const userId = userIdFor(officer.email);

    it('is away from awayFrom (inclusive) until awayUntil (exclusive); null ends are open', () => {
      expect(isAwayAt({ awayFrom: null, awayUntil: null }, now)).toBe(false);
      expect(isAwayAt({ awayFrom: '2026-12-07T09:00:00Z', awayUntil: '2026-12-08T09:00:00Z' }, now)).toBe(true);
      expect(isAwayAt({ awayFrom: '2026-12-07T09:00:01Z', awayUntil: null }, now)).toBe(false);
      expect(isAwayAt({ awayFrom: null, awayUntil: '2026-12-07T09:00:00Z' }, now)).toBe(false);
      expect(isAwayAt({ awayFrom: null, awayUntil: '2026-12-07T09:00:01Z' }, now)).toBe(true);
    });

    it('folds onto the account, survives a re-registration, and clears with nulls', () => {
      const away = availabilitySet(userId, { awayFrom: '2026-12-07T00:00:00Z', awayUntil: '2026-12-14T00:00:00Z' }, 'manager', now);
      const account = foldUserAccount([userRegistered(officer), away, userRegistered({ ...officer, teamId: 'south' })]);
      expect(account).toMatchObject({ teamId: 'south', awayFrom: '2026-12-07T00:00:00.000Z', awayUntil: '2026-12-14T00:00:00.000Z' });
      const back = evolveUserAccount(account, availabilitySet(userId, { awayFrom: null, awayUntil: null }, 'manager', now));
      expect(back).toMatchObject({ awayFrom: null, awayUntil: null });
      // Another account's event, or one before the registration, changes nothing.
      expect(evolveUserAccount(null, away)).toBeNull();
      expect(
        evolveUserAccount(back, availabilitySet('someone-else', { awayFrom: null, awayUntil: '2027-01-01T00:00:00Z' }, 'x', now)),
      ).toBe(back);
    });

    it('refuses an absence that ends before it starts, or a date that is not one', () => {
      expect(() => availabilitySet(userId, { awayFrom: '2026-12-08T00:00:00Z', awayUntil: '2026-12-07T00:00:00Z' }, 'x', now)).toThrow(
        'awayUntil',
      );
      expect(() => availabilitySet(userId, { awayFrom: 'monday', awayUntil: null }, 'x', now)).toThrow('awayFrom');
    });
  });

  describe('standing: password changes, disabling and revocation', () => {
    const userId = userIdFor(officer.email);
    const at = (iso: string) => new Date(iso);
    const seconds = (iso: string) => Date.parse(iso) / 1000;

    it('a new password ends every session signed before it; a rehash of the same password ends none', () => {
      const registered = foldUserAccount([userRegistered(officer)]);
      const changed = evolveUserAccount(registered, passwordChanged(userId, 'h2', userId, at('2026-12-07T10:00:00Z')));
      expect(changed).toMatchObject({ passwordHash: 'h2', sessionsValidFrom: '2026-12-07T10:00:00.000Z', disabled: false });
      const rehashed = evolveUserAccount(changed, passwordRehashed(userId, 'h3', at('2026-12-08T10:00:00Z')));
      expect(rehashed).toMatchObject({ passwordHash: 'h3', sessionsValidFrom: '2026-12-07T10:00:00.000Z' });
      expect(sessionStands(rehashed!, seconds('2026-12-07T09:59:59Z'))).toBe(false);
      expect(sessionStands(rehashed!, seconds('2026-12-07T10:00:00Z'))).toBe(true); // the token the change answers with
    });

    it('a disabled account stands for no session until enabled; enabling does not bring old sessions back', () => {
      const account = foldUserAccount([
        userRegistered(officer),
        accountDisabled(userId, 'left the council', 'admin', at('2026-12-07T10:00:00Z')),
      ]);
      expect(account).toMatchObject({ disabled: true });
      expect(sessionStands(account!, seconds('2026-12-07T11:00:00Z'))).toBe(false);
      const enabled = evolveUserAccount(account, accountEnabled(userId, 'admin', at('2026-12-08T10:00:00Z')));
      expect(sessionStands(enabled!, seconds('2026-12-07T09:00:00Z'))).toBe(false);
      expect(sessionStands(enabled!, seconds('2026-12-08T11:00:00Z'))).toBe(true);
    });

    it('survives a re-registration (demo seeding again) and ignores another account\'s events', () => {
      const revoked = foldUserAccount([
        userRegistered(officer),
        sessionsRevoked(userId, userId, at('2026-12-07T10:00:00Z')),
        accountDisabled(userId, 'x', 'admin', at('2026-12-07T10:00:00Z')),
        userRegistered(officer),
      ]);
      expect(revoked).toMatchObject({ disabled: true, sessionsValidFrom: '2026-12-07T10:00:00.000Z' });
      expect(evolveUserAccount(revoked, accountEnabled('someone-else', 'admin', at('2026-12-08T00:00:00Z')))).toBe(revoked);
      expect(evolveUserAccount(null, sessionsRevoked(userId, userId, at('2026-12-08T00:00:00Z')))).toBeNull();
    });

    it('property: a session stands exactly when the account is enabled and it was signed in the second of the last ending or later', () => {
      fc.assert(
        fc.property(fc.boolean(), fc.option(fc.integer({ min: 0, max: 2_000_000_000_000 })), fc.integer({ min: 0, max: 2_000_000_000 }), (disabled, validFromMs, iat) => {
          const sessionsValidFrom = validFromMs === null ? null : new Date(validFromMs).toISOString();
          const stands = sessionStands({ disabled, sessionsValidFrom }, iat);
          expect(stands).toBe(!disabled && (validFromMs === null || iat >= Math.floor(validFromMs / 1000)));
        }),
      );
    });
  });
});
