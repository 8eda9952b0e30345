import fc from 'fast-check';
import { OIDC_MAPPABLE_ROLES, loadConfig } from '@send/platform';
import { STAFF_ROLES } from '../../auth/roles';
import { accessFromClaims, claimMappingOf, claimValues, oidcUserId, profileFromClaims, type ClaimMapping } from './claim-mapping';

const entra: ClaimMapping = {
  roleClaim: 'groups',
  roleMap: { 'g-officers': 'officer', 'g-managers': 'team_manager', 'g-head': 'head_of_service', 'g-admins': 'admin' },
  teamClaim: 'groups',
  teamMap: { 'g-north': 'north', 'g-south': 'south' },
};

describe('council account claims -> role and team', () => {
  it('maps the roles config may name to exactly the staff roles here', () => {
    expect([...OIDC_MAPPABLE_ROLES].sort()).toEqual([...STAFF_ROLES].sort());
  });

  it('gives an officer in a team group the officer role and that team', () => {
    expect(accessFromClaims({ groups: ['g-unrelated', 'g-officers', 'g-north'] }, entra)).toEqual({ role: 'officer', teamId: 'north' });
  });

  it('gives someone in several mapped groups the most senior role', () => {
    expect(accessFromClaims({ groups: ['g-officers', 'g-managers', 'g-south'] }, entra)).toEqual({ role: 'team_manager', teamId: 'south' });
    expect(accessFromClaims({ groups: ['g-head', 'g-officers', 'g-north'] }, entra)).toEqual({ role: 'head_of_service', teamId: 'north' });
  });

  it('refuses an account in no mapped group, or with no role claim at all', () => {
    expect(accessFromClaims({ groups: ['g-north', 'g-finance'] }, entra)).toEqual({ refused: 'no_role' });
    expect(accessFromClaims({}, entra)).toEqual({ refused: 'no_role' });
    expect(accessFromClaims({ groups: 'not-a-group' }, entra)).toEqual({ refused: 'no_role' });
  });

  it('refuses an officer or team manager with no team, and lets a head of service or admin in without one', () => {
    expect(accessFromClaims({ groups: ['g-officers'] }, entra)).toEqual({ refused: 'no_team' });
    expect(accessFromClaims({ groups: ['g-managers', 'g-west'] }, entra)).toEqual({ refused: 'no_team' });
    expect(accessFromClaims({ groups: ['g-head'] }, entra)).toEqual({ role: 'head_of_service', teamId: null });
    expect(accessFromClaims({ groups: ['g-admins'] }, entra)).toEqual({ role: 'admin', teamId: null });
  });

  it('takes the team claim as the team id when there is no team map (a single string claim too)', () => {
    const mapping: ClaimMapping = { roleClaim: 'roles', roleMap: { 'SEND.Officer': 'officer' }, teamClaim: 'team', teamMap: null };
    expect(accessFromClaims({ roles: 'SEND.Officer', team: 'east' }, mapping)).toEqual({ role: 'officer', teamId: 'east' });
  });

  it('reads a claim by its full name first (names may be URLs with dots), then as a dotted path', () => {
    expect(claimValues({ 'https://council.gov.uk/roles': ['a'] }, 'https://council.gov.uk/roles')).toEqual(['a']);
    expect(claimValues({ realm_access: { roles: ['b', 7, ''] } }, 'realm_access.roles')).toEqual(['b']);
    expect(claimValues({ realm_access: null }, 'realm_access.roles')).toEqual([]);
  });

  it('never maps through values inherited from Object.prototype', () => {
    expect(accessFromClaims({ groups: ['constructor', 'toString', '__proto__'] }, entra)).toEqual({ refused: 'no_role' });
  });

  it('maps any set of groups to the most senior mapped role, or refuses when none is mapped', () => {
    const group = fc.constantFrom(...Object.keys(entra.roleMap), 'g-north', 'g-south', 'g-other', 'x');
    fc.assert(
      fc.property(fc.array(group, { maxLength: 8 }), (groups) => {
        const access = accessFromClaims({ groups }, entra);
        const mapped = groups.filter((g) => g in entra.roleMap).map((g) => entra.roleMap[g]);
        if (mapped.length === 0) return expect(access).toEqual({ refused: 'no_role' });
        const senior = OIDC_MAPPABLE_ROLES.filter((r) => mapped.includes(r)).at(-1)!;
        const team = groups.map((g) => entra.teamMap![g]).find(Boolean) ?? null;
        if ((senior === 'officer' || senior === 'team_manager') && !team) return expect(access).toEqual({ refused: 'no_team' });
        expect(access).toEqual({ role: senior, teamId: team });
      }),
    );
  });

  it('reads the mapping from the settings', () => {
    const config = loadConfig({
      OIDC_ISSUER: 'https://login.example.org/tenant/v2.0',
      OIDC_CLIENT_ID: 'send',
      OIDC_CLIENT_SECRET: 'secret',
      OIDC_REDIRECT_URL: 'https://send.example.org/sign-in/oidc/callback',
      OIDC_ROLE_CLAIM: 'groups',
      OIDC_ROLE_MAP: 'g-officers=officer, g-managers=team_manager',
      OIDC_TEAM_CLAIM: 'groups',
      OIDC_TEAM_MAP: '{"g-north":"north"}',
    });
    expect(claimMappingOf(config)).toEqual({
      roleClaim: 'groups',
      roleMap: { 'g-officers': 'officer', 'g-managers': 'team_manager' },
      teamClaim: 'groups',
      teamMap: { 'g-north': 'north' },
    });
  });
});

describe('a council account here', () => {
  it('has one stable UUID per issuer and subject, whatever its email or name', () => {
    const id = oidcUserId('https://login.example.org/t/v2.0', 'abc');
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(oidcUserId('https://login.example.org/t/v2.0', 'abc')).toBe(id);
    expect(oidcUserId('https://other.example.org', 'abc')).not.toBe(id);
  });

  it('never gives two different (issuer, subject) pairs the same id', () => {
    fc.assert(
      fc.property(fc.tuple(fc.string(), fc.string()), fc.tuple(fc.string(), fc.string()), ([i1, s1], [i2, s2]) => {
        fc.pre(i1 !== i2 || s1 !== s2);
        expect(oidcUserId(i1, s1)).not.toBe(oidcUserId(i2, s2));
      }),
    );
  });

  it('takes name and email from the standard claims, or Entra preferred_username', () => {
    expect(profileFromClaims({ name: 'Olu Officer', email: 'Olu@Council.gov.uk' })).toEqual({
      name: 'Olu Officer',
      email: 'olu@council.gov.uk',
    });
    expect(profileFromClaims({ preferred_username: 'sam@council.gov.uk', given_name: 'Sam', family_name: 'Lee' })).toEqual({
      name: 'Sam Lee',
      email: 'sam@council.gov.uk',
    });
    expect(profileFromClaims({ preferred_username: 'slee' })).toEqual({ name: 'slee', email: '' });
  });
});
