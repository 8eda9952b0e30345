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
] as const;
export type Role = (typeof ROLES)[number];

export const REQUESTER_ROLES = ['parent', 'school', 'professional'] as const satisfies readonly Role[];
export const STAFF_ROLES = ['officer', 'team_manager', 'service_manager', 'head_of_service', 'admin'] as const satisfies readonly Role[];
export const MANAGER_ROLES = ['team_manager', 'service_manager', 'head_of_service'] as const satisfies readonly Role[];

export interface AuthUser {
  id: string;
  email: string;
  name: string;
  role: Role;
  teamId: string | null;
}

export const isStaff = (user: AuthUser) => (STAFF_ROLES as readonly Role[]).includes(user.role);
