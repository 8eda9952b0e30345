/** Who a signed-in user is, as carried in the token. */
export const ROLES = [
  'parent',
  'school',
  'professional',
  'officer',
  'team_manager',
  'service_manager',
  'head_of_service',
  'admin',
  // The data protection officer: reads the access log (who read which child's requests), no case content.
  'dpo',
] as const;
export type Role = (typeof ROLES)[number];

export const REQUESTER_ROLES = ['parent', 'school', 'professional'] as const satisfies readonly Role[];
export const STAFF_ROLES = ['officer', 'team_manager', 'service_manager', 'head_of_service', 'admin'] as const satisfies readonly Role[];
export const MANAGER_ROLES = ['team_manager', 'service_manager', 'head_of_service'] as const satisfies readonly Role[];
/**
 * Who may read requests at all (each within their scope): administrators run the system and the data
 * protection officer audits it; neither reads case content.
 */
export const CASE_CONTENT_ROLES = [...REQUESTER_ROLES, 'officer', ...MANAGER_ROLES] as const satisfies readonly Role[];

export interface AuthUser {
  id: string;
  email: string;
  name: string;
  /** 'system': an integration acting on its own authority (systemActor), never a signed-in user. */
  role: Role | 'system';
  teamId: string | null;
  /** The signed-in session the user came with (a token's iat and exp, in seconds): what a long-lived stream ends with. */
  session?: { issuedAt: number; expiresAt: number };
}

/** The session part of AuthUser, from a verified token's claims. */
export const sessionOf = (claims: { iat?: number; exp?: number }): AuthUser['session'] =>
  claims.iat !== undefined && claims.exp !== undefined ? { issuedAt: claims.iat, expiresAt: claims.exp } : undefined;

export const isStaff = (user: AuthUser) => (STAFF_ROLES as readonly string[]).includes(user.role);

/** Who may read the access log (shared API.md, "Personal data"): managers (a team manager their team's) and the dpo. */
export const ACCESS_LOG_READERS = [...MANAGER_ROLES, 'dpo'] as const satisfies readonly Role[];

/**
 * An integration acting on its own authority (the telephony webhook): it signs in with no token, so
 * it passes no role check, and its events say `actor: { id: 'system:<name>', role: 'system' }`.
 * Scope lets it act on any request: what it may do is decided by the route that uses it.
 */
export const systemActor = (name: string): AuthUser => ({ id: `system:${name}`, email: '', name, role: 'system', teamId: null });
export const isSystem = (user: AuthUser): boolean => user.role === 'system';
