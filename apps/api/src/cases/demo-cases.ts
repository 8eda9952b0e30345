import type { SyncCase } from '@send/domain';
import { userIdFor } from '@send/domain';

/** The demo cases of shared API.md (DEMO=true), seeded after the demo users; the contacts' names are ours. */
export const demoCases = (): SyncCase[] => [
  {
    type: 'SyncCase',
    caseRef: 'C-1001',
    childName: 'Sam',
    teamId: 'north',
    caseOfficerId: userIdFor('officer@example.org'),
    contacts: [
      {
        name: 'Pat Parent',
        relationship: 'mother',
        email: 'parent@example.org',
        phone: '+447700900101',
        userId: userIdFor('parent@example.org'),
      },
      { name: 'Alex Senco', relationship: 'SENCo', email: 'senco@example.org', userId: userIdFor('senco@example.org') },
    ],
  },
  {
    type: 'SyncCase',
    caseRef: 'C-1002',
    childName: 'Jordan',
    teamId: 'north',
    caseOfficerId: userIdFor('officer2@example.org'),
    contacts: [{ name: 'Alex Senco', relationship: 'SENCo', email: 'senco@example.org', userId: userIdFor('senco@example.org') }],
  },
  {
    type: 'SyncCase',
    caseRef: 'C-2001',
    childName: 'Alex',
    teamId: 'south',
    caseOfficerId: userIdFor('officer3@example.org'),
    contacts: [
      {
        name: 'Sam Parent',
        relationship: 'father',
        email: 'parent2@example.org',
        phone: '+447700900202',
        userId: userIdFor('parent2@example.org'),
      },
    ],
  },
];
