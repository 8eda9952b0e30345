import { userIdFor, type Requester } from '@send/domain';

/** Who does what in the demo data: the demo users of shared API.md, by the ids their accounts get. */
export interface Actor {
  id: string;
  role: string;
}

const user = (email: string, role: string): Actor => ({ id: userIdFor(email), role });

export const TEAMS = {
  north: {
    officers: [user('officer@example.org', 'officer'), user('officer2@example.org', 'officer')],
    manager: user('manager@example.org', 'team_manager'),
  },
  south: { officers: [user('officer3@example.org', 'officer')], manager: user('manager2@example.org', 'team_manager') },
} as const;
export type TeamId = keyof typeof TEAMS;

export const SERVICE_MANAGER = user('service.manager@example.org', 'service_manager');
export const HEAD_OF_SERVICE = user('head@example.org', 'head_of_service');
/** Timer commands carry the worker's actor, as the live TimerWorker records them. */
export const TIMER_ACTOR: Actor = { id: 'system:timers', role: 'system' };
export const TELEPHONY_ACTOR: Actor = { id: 'system:telephony', role: 'system' };

/** Whoever acknowledges at each escalation level (the default chain's roles). */
export const acknowledgerFor = (level: number, team: TeamId): Actor =>
  level <= 1 ? TEAMS[team].manager : level === 2 ? SERVICE_MANAGER : HEAD_OF_SERVICE;

/** Requesters with a portal account: they submit and chase on the portal themselves. */
export const PORTAL_REQUESTERS: ReadonlyArray<{ requester: Requester; actor: Actor }> = (
  [
    ['parent@example.org', 'Pat Parent', 'parent'],
    ['parent2@example.org', 'Sam Parent', 'parent'],
    ['senco@example.org', 'Alex Senco', 'school'],
  ] as const
).map(([email, name, role]) => ({ requester: { role, name, email, userId: userIdFor(email) }, actor: user(email, role) }));

/** Requesters without an account: an officer enters what came by phone, email, letter or in person. */
export const OFFLINE_REQUESTERS: readonly Requester[] = [
  { role: 'parent', name: 'Jamie Clarke', email: 'jamie.clarke@example.net', phone: '07700 900123' },
  { role: 'parent', name: 'Aisha Rahman', email: '', phone: '07700 900456' },
  { role: 'parent', name: 'Mark Evans', email: 'mark.evans@example.net' },
  { role: 'parent', name: 'Zofia Nowak', email: 'z.nowak@example.net', phone: '07700 900321' },
  { role: 'professional', name: 'Dr Nina Shah (educational psychologist)', email: 'n.shah@example.nhs.uk' },
  { role: 'school', name: 'Chris Hall (SENCO, Oakfield Primary)', email: 'senco@oakfield.example.sch.uk' },
  { role: 'mp', name: 'Office of Helen Ward MP', email: 'helen.ward.mp@example.parliament.uk' },
  { role: 'other', name: 'Margaret Bell (grandparent)', email: '', phone: '07700 900789' },
];
