import type { NewAccount } from './accounts.service';

/** The demo users of shared API.md; DEMO=true seeds them with DEMO_PASSWORD. */
export const demoUsers = (password: string): NewAccount[] =>
  (
    [
      ['parent@example.org', 'Pat Parent', 'parent', null],
      ['parent2@example.org', 'Sam Parent', 'parent', null],
      ['senco@example.org', 'Alex Senco', 'school', null],
      ['officer@example.org', 'Olu Officer', 'officer', 'north'],
      ['officer2@example.org', 'Priya Officer', 'officer', 'north'],
      ['officer3@example.org', 'Tom Officer', 'officer', 'south'],
      ['manager@example.org', 'Morgan Manager', 'team_manager', 'north'],
      ['manager2@example.org', 'Riley Manager', 'team_manager', 'south'],
      ['service.manager@example.org', 'Jordan Service-Manager', 'service_manager', null],
      ['head@example.org', 'Casey Head', 'head_of_service', null],
      ['admin@example.org', 'Ada Admin', 'admin', null],
      ['dpo@example.org', 'Dana Data-Protection', 'dpo', null],
    ] as const
  ).map(([email, name, role, teamId]) => ({ email, name, role, teamId, password }));
