import { evolveUserAccount, foldUserAccount, USER_STREAM_PREFIX, userIdFor, userRegistered, userStreamFor, userStreamId } from '../index';

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
    expect(foldUserAccount([first])).toEqual({ userId: userIdFor(officer.email), ...officer });
    expect(foldUserAccount([first, moved])).toMatchObject({ role: 'team_manager', teamId: 'south', passwordHash: 'h2' });
    expect(foldUserAccount([])).toBeNull();
  });

  it('changes nothing for other events or a registration without an id or role', () => {
    const account = foldUserAccount([userRegistered(officer)]);
    expect(evolveUserAccount(account, { type: 'SomethingElse', data: { userId: 'x', role: 'admin' } })).toBe(account);
    expect(evolveUserAccount(account, { type: 'UserRegistered', data: {} })).toBe(account);
    expect(evolveUserAccount(null, { type: 'UserRegistered', data: { userId: 'x' } })).toBeNull();
  });
});
