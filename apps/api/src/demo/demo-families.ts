import { toE164, userIdFor, type RoutableCase, type SyncCase } from '@send/domain';
import { demoCases } from '../cases/demo-cases';
import { OFFLINE_REQUESTERS } from './demo-people';

/**
 * DEMO_DATA's families: API.md's three demo cases (synced by CasesModule with DEMO=true, and again
 * here, which appends nothing) plus one case per offline requester of demo-people.ts, so every
 * family keeps its caseRef across requests and a call from their number would find them.
 */
const offline = (name: string) => {
  const r = OFFLINE_REQUESTERS.find((o) => o.name === name);
  if (!r) throw new Error(`no demo requester ${name}`);
  // Contacts are stored in E.164, as the import stores them (ADR 0006), so telephony matches them.
  const phone = r.phone ? toE164(r.phone) : null;
  return { name: r.name, ...(r.email ? { email: r.email } : {}), ...(phone ? { phone } : {}) };
};

const family = (
  caseRef: string,
  childName: string,
  teamId: 'north' | 'south',
  officer: string,
  contacts: SyncCase['contacts'],
): SyncCase => ({
  type: 'SyncCase',
  caseRef,
  childName,
  teamId,
  caseOfficerId: userIdFor(officer),
  contacts,
});

export const demoFamilyCases = (): SyncCase[] => [
  family('C-1003', 'Riley', 'north', 'officer@example.org', [
    { ...offline('Jamie Clarke'), relationship: 'father' },
    { ...offline('Dr Nina Shah (educational psychologist)'), relationship: 'educational psychologist' },
  ]),
  family('C-1004', 'Maya', 'north', 'officer2@example.org', [
    { ...offline('Aisha Rahman'), relationship: 'mother' },
    { ...offline('Chris Hall (SENCO, Oakfield Primary)'), relationship: 'SENCo' },
  ]),
  family('C-1005', 'Oliver', 'north', 'officer@example.org', [{ ...offline('Margaret Bell (grandparent)'), relationship: 'grandmother' }]),
  family('C-2002', 'Ella', 'south', 'officer3@example.org', [{ ...offline('Mark Evans'), relationship: 'father' }]),
  family('C-2003', 'Kacper', 'south', 'officer3@example.org', [
    { ...offline('Zofia Nowak'), relationship: 'mother' },
    { ...offline('Chris Hall (SENCO, Oakfield Primary)'), relationship: 'SENCo' },
  ]),
];

/** Every case the demo requests are filed on, in the order they are synced. */
export const allDemoCases = (): SyncCase[] => [...demoCases(), ...demoFamilyCases()];

/** What routing reads of a case (the cases read model holds the same for an open case). */
export const routable = (c: SyncCase): RoutableCase => ({
  caseRef: c.caseRef,
  status: 'open',
  teamId: c.teamId,
  caseOfficerId: c.caseOfficerId!,
});

/**
 * The open cases a requester is a contact of, matched as the cases read model's casesOfUser does
 * (portal account, else email in lower case).
 */
export const casesOf = (cases: readonly SyncCase[], who: { userId?: string; email: string }): SyncCase[] => {
  const email = who.email.trim().toLowerCase();
  return cases.filter((c) =>
    (c.contacts ?? []).some((k) => (who.userId && k.userId === who.userId) || (email !== '' && k.email?.trim().toLowerCase() === email)),
  );
};
