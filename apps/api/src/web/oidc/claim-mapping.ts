import { v5 as uuidv5 } from 'uuid';
import { OIDC_MAPPABLE_ROLES, parseValueMap, type AppConfig, type OidcMappableRole } from '@send/platform';

/** How a council account's claims become this system's role and team (OIDC_ROLE_* and OIDC_TEAM_* settings). */
export interface ClaimMapping {
  roleClaim: string;
  /** The provider's group or app-role value -> this system's role. */
  roleMap: Readonly<Record<string, OidcMappableRole>>;
  teamClaim: string | null;
  /** The provider's value -> team id; null: the claim's value is the team id itself. */
  teamMap: Readonly<Record<string, string>> | null;
}

export type MappedAccess =
  | { role: OidcMappableRole; teamId: string | null }
  /** no_role: none of the account's values is in the role map; no_team: an officer or team manager with no team. */
  | { refused: 'no_role' | 'no_team' };

/** Roles whose queue and alerts are a team's: they cannot work without one (routing and scope need it). */
const TEAM_ROLES: readonly OidcMappableRole[] = ['officer', 'team_manager'];

/** The mapping the settings describe (config validated them at start, so a bad map never gets here). */
export function claimMappingOf(config: AppConfig): ClaimMapping {
  const map = (text: string | undefined, allowed?: readonly string[]) => {
    if (text === undefined) return null;
    const parsed = parseValueMap(text, allowed);
    if ('error' in parsed) throw new Error(`OIDC map: ${parsed.error}`);
    return parsed.map;
  };
  return {
    roleClaim: config.OIDC_ROLE_CLAIM,
    roleMap: (map(config.OIDC_ROLE_MAP, OIDC_MAPPABLE_ROLES) ?? {}) as Record<string, OidcMappableRole>,
    teamClaim: config.OIDC_TEAM_CLAIM ?? null,
    teamMap: map(config.OIDC_TEAM_MAP),
  };
}

/**
 * A claim's values as strings: a list (Entra's `groups` and `roles`), one string, or nothing. The
 * name is looked up as is (claim names may be URLs with dots), then as a dotted path
 * (Keycloak's `realm_access.roles`).
 */
export function claimValues(claims: Record<string, unknown>, name: string): string[] {
  let value: unknown = claims[name];
  if (value === undefined && name.includes('.')) {
    value = name
      .split('.')
      .reduce<unknown>((at, key) => (at && typeof at === 'object' ? (at as Record<string, unknown>)[key] : undefined), claims);
  }
  const values = Array.isArray(value) ? value : [value];
  return values.filter((v): v is string => typeof v === 'string' && v.length > 0);
}

/**
 * The role and team an account's claims give it. Someone in several mapped groups gets the one
 * latest in officer < team_manager < service_manager < head_of_service < admin; the team is the
 * first of the team claim's values that maps (or the first value, with no team map).
 */
export function accessFromClaims(claims: Record<string, unknown>, mapping: ClaimMapping): MappedAccess {
  const roles = claimValues(claims, mapping.roleClaim)
    .filter((value) => Object.hasOwn(mapping.roleMap, value))
    .map((value) => mapping.roleMap[value]);
  if (roles.length === 0) return { refused: 'no_role' };
  const role = roles.reduce((a, b) => (OIDC_MAPPABLE_ROLES.indexOf(b) > OIDC_MAPPABLE_ROLES.indexOf(a) ? b : a));

  let teamId: string | null = null;
  if (mapping.teamClaim) {
    const values = claimValues(claims, mapping.teamClaim);
    const { teamMap } = mapping;
    teamId = teamMap ? (values.filter((v) => Object.hasOwn(teamMap, v)).map((v) => teamMap[v])[0] ?? null) : (values[0] ?? null);
  }
  if (TEAM_ROLES.includes(role) && !teamId) return { refused: 'no_team' };
  return { role, teamId };
}

/** Fixed forever: changing it would give every council account a new id (and a second account). */
const OIDC_USER_NAMESPACE = '0b9b6f0e-3d5c-4a38-8f0e-6a4f3c2e9d71';

/**
 * A council account's id here: a UUID (assignment takes officer ids as UUIDs) made from the issuer
 * and the subject, which the provider keeps for the account's life, while its email and name may
 * change. The same person always gets the same id; two providers' subjects never meet.
 */
export const oidcUserId = (issuer: string, subject: string): string => uuidv5(`oidc:${issuer}\n${subject}`, OIDC_USER_NAMESPACE);

/** Name and email for pages, alerts and the users directory, from the standard claims (and Entra's preferred_username). */
export function profileFromClaims(claims: Record<string, unknown>): { name: string; email: string } {
  const text = (name: string) => (typeof claims[name] === 'string' ? (claims[name] as string).trim() : '');
  const username = text('preferred_username');
  const email = (text('email') || (username.includes('@') ? username : '')).toLowerCase();
  const name = text('name') || [text('given_name'), text('family_name')].filter(Boolean).join(' ') || email || username;
  return { name, email };
}
