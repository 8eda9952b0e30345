import type { CaseState } from '../case/case';
import { contactIndexesOf } from './erasure';
import { erasureEventId, personalDataErasedFor, retentionErasureId } from './erasure-events';

const by = { erasureId: 'e-1', reason: 'erasure' as const, by: 'manager-1', at: '2026-12-01T10:00:00.000Z' };
const caseState: CaseState = {
  status: 'open',
  caseRef: 'C-1',
  childName: 'Sam',
  teamId: 'north',
  caseOfficerId: 'officer-1',
  openedAt: by.at,
  updatedAt: by.at,
  contacts: [
    { contactId: 'email:a@example.org', name: 'A', relationship: 'mother', email: 'a@example.org', userId: 'user-a' },
    { contactId: 'phone:+447700900101', name: 'B', relationship: 'father', phone: '+447700900101' },
    { contactId: 'email:c@example.org', name: 'C', relationship: 'carer', email: 'c@example.org' },
  ],
};

describe('erasure, the pure part', () => {
  it("names a case's contacts by index, for each kind of data subject", () => {
    expect(contactIndexesOf(caseState.contacts, 'user-a')).toEqual([0]);
    expect(contactIndexesOf(caseState.contacts, 'contact:+447700900101')).toEqual([1]);
    expect(contactIndexesOf(caseState.contacts, 'contact:c@example.org')).toEqual([2]);
    // A contact with an account is their account, not their email.
    expect(contactIndexesOf(caseState.contacts, 'contact:a@example.org')).toEqual([]);
  });

  it("marks a case stream with the subject's contacts, the child's name for the case's own subject, nothing otherwise", () => {
    expect(personalDataErasedFor('contact:+447700900101', { kind: 'case', state: caseState }, by)).toEqual({
      type: 'PersonalDataErased',
      data: { schemaVersion: 1, erasureId: 'e-1', reason: 'erasure', by: 'manager-1', at: by.at, contacts: [1] },
    });
    expect(personalDataErasedFor('case:C-1', { kind: 'case', state: caseState }, by)?.data).toEqual(expect.objectContaining({ childName: true }));
    expect(personalDataErasedFor('someone-else', { kind: 'case', state: caseState }, by)).toBeNull();
    expect(personalDataErasedFor('user-a', { kind: 'whole' }, by)?.data).not.toHaveProperty('contacts');
  });

  it('derives the same ids on a retry, and different ones per stream', () => {
    expect(erasureEventId('e-1', 's-1')).toBe(erasureEventId('e-1', 's-1'));
    expect(erasureEventId('e-1', 's-1')).not.toBe(erasureEventId('e-1', 's-2'));
    expect(retentionErasureId('contact-request-1')).toBe(retentionErasureId('contact-request-1'));
  });
});
