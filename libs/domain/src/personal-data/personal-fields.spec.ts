import { personalFieldsOf, streamSubjectId, subjectOfLinkedContact, type PersonalField } from './personal-fields';

/** The fields as `path -> subject` (a streamOwner or fromStream field shows its kind), for readable expectations. */
const shown = (fields: PersonalField[], earlier: { type: string; data: unknown }[] = []) =>
  Object.fromEntries(
    fields.map((f) => [
      f.path.join('.'),
      f.subject.kind === 'subject'
        ? f.subject.subjectId
        : f.subject.kind === 'fromStream'
          ? (f.subject.find(earlier) ?? f.subject.otherwise)
          : 'owner',
    ]),
  );

describe('personalFieldsOf', () => {
  const request = 'contact-request-7f0c';

  it("a submission: the requester's name, email, phone, subject and message, theirs (account, else phone, else email)", () => {
    const submitted = (requester: Record<string, unknown>) =>
      shown(
        personalFieldsOf({
          streamId: request,
          type: 'ContactRequestSubmitted',
          data: { schemaVersion: 1, requestId: '7f0c', caseRef: 'C-1', requester, subject: 's', message: 'm' },
        }),
      );
    expect(submitted({ role: 'parent', name: 'Ann', email: 'Ann@Example.org', userId: 'u-1' })).toEqual({
      'requester.name': 'u-1',
      'requester.email': 'u-1',
      'requester.phone': 'u-1',
      subject: 'u-1',
      message: 'u-1',
    });
    expect(submitted({ role: 'parent', name: 'Ann', email: 'Ann@Example.org', phone: '+447700900101' })['message']).toBe(
      'contact:+447700900101',
    );
    expect(submitted({ role: 'parent', name: 'Ann', email: 'Ann@Example.org' })['message']).toBe('contact:ann@example.org');
    // Nothing to know them by: the stream is their subject, erased with it.
    expect(submitted({ role: 'other', name: 'Ann', email: '' })['message']).toBe(streamSubjectId(request));
  });

  it('a v0 submission (flattened requester) has its flattened fields', () => {
    const fields = shown(
      personalFieldsOf({
        streamId: request,
        type: 'ContactRequestSubmitted',
        data: { requesterName: 'Ann', requesterEmail: 'ann@example.org', subject: 's', message: 'm' },
      }),
    );
    expect(fields).toEqual({
      requesterName: 'contact:ann@example.org',
      requesterEmail: 'contact:ann@example.org',
      requesterPhone: 'contact:ann@example.org',
      subject: 'contact:ann@example.org',
      message: 'contact:ann@example.org',
    });
  });

  it("what staff write on a request is the stream owner's: summary, outcome, reopen reason", () => {
    expect(shown(personalFieldsOf({ streamId: request, type: 'OfficerResponded', data: { summary: 'x' } }))).toEqual({ summary: 'owner' });
    expect(shown(personalFieldsOf({ streamId: request, type: 'RequestResolved', data: { outcome: 'x' } }))).toEqual({ outcome: 'owner' });
    expect(shown(personalFieldsOf({ streamId: request, type: 'RequestReopened', data: { reason: 'x' } }))).toEqual({ reason: 'owner' });
    const [field] = personalFieldsOf({ streamId: request, type: 'OfficerResponded', data: {} });
    expect(field.subject).toEqual({ kind: 'streamOwner', otherwise: streamSubjectId(request) });
  });

  it('has none in events without personal data (ids, times, statuses, clocks)', () => {
    for (const type of [
      'RequestRouted',
      'RequestAssigned',
      'SlaBreached',
      'EscalationRaised',
      'ContactAttemptRecorded',
      'CallFiled',
      'PasswordChanged',
      'PersonalDataErased',
      'Unknown',
    ])
      expect(personalFieldsOf({ streamId: request, type, data: { at: 'x' } })).toEqual([]);
  });

  it("a case: the child's name is the case's; each linked contact's name, email, phone and contactId are theirs", () => {
    expect(shown(personalFieldsOf({ streamId: 'case-C-1', type: 'CaseOpened', data: { caseRef: 'C-1', childName: 'Sam' } }))).toEqual({
      childName: 'case:C-1',
    });
    expect(shown(personalFieldsOf({ streamId: 'case-C-1', type: 'CaseUpdated', data: { caseRef: 'C-1', childName: 'Sam' } }))).toEqual({
      childName: 'case:C-1',
    });
    const linked = {
      type: 'CaseContactLinked',
      data: {
        caseRef: 'C-1',
        contact: { contactId: 'email:ann@example.org', name: 'Ann', relationship: 'mother', email: 'ann@example.org' },
      },
    };
    expect(shown(personalFieldsOf({ streamId: 'case-C-1', ...linked }))).toEqual({
      'contact.name': 'contact:ann@example.org',
      'contact.email': 'contact:ann@example.org',
      'contact.phone': 'contact:ann@example.org',
      'contact.contactId': 'contact:ann@example.org',
    });
  });

  it("an unlink's contactId is the subject the contact was linked as (found in the stream), else the stream's", () => {
    const link = (contact: Record<string, unknown>) => ({ type: 'CaseContactLinked', data: { caseRef: 'C-1', contact } });
    const unlink = personalFieldsOf({
      streamId: 'case-C-1',
      type: 'CaseContactUnlinked',
      data: { caseRef: 'C-1', contactId: 'email:ann@example.org' },
    });
    const earlier = [
      link({ contactId: 'email:ann@example.org', name: 'Ann', email: 'ann@example.org' }),
      link({ contactId: 'email:bob@example.org', name: 'Bob', email: 'bob@example.org', userId: 'u-bob' }),
      // Re-linked with a phone: the later link is who they are now.
      link({ contactId: 'email:ann@example.org', name: 'Ann', email: 'ann@example.org', phone: '+447700900101' }),
    ];
    expect(shown(unlink, earlier)).toEqual({ contactId: 'contact:+447700900101' });
    expect(shown(unlink, [])).toEqual({ contactId: streamSubjectId('case-C-1') });
    expect(subjectOfLinkedContact(earlier, 'email:bob@example.org')).toBe('u-bob');
    expect(subjectOfLinkedContact(earlier, 'email:nobody@example.org')).toBeNull();
  });

  it("a user account: name and email are the user's", () => {
    expect(
      shown(
        personalFieldsOf({
          streamId: 'user-u-1',
          type: 'UserRegistered',
          data: { userId: 'u-1', email: 'a@b.org', name: 'A', role: 'parent' },
        }),
      ),
    ).toEqual({ name: 'u-1', email: 'u-1' });
  });

  it("a call: the caller's number, as contact:<number>", () => {
    const received = personalFieldsOf({
      streamId: 'telephony-call-c1',
      type: 'CallReceived',
      data: { call: { callId: 'c1', from: '07700 900101', to: '0123' }, number: '+447700900101' },
    });
    expect(shown(received)).toEqual({ 'call.from': 'contact:+447700900101', number: 'contact:+447700900101' });
    expect(
      shown(personalFieldsOf({ streamId: 'telephony-call-c1', type: 'CallUnmatched', data: { callId: 'c1', number: '+447700900101' } })),
    ).toEqual({ number: 'contact:+447700900101' });
    expect(
      shown(
        personalFieldsOf({
          streamId: 'telephony-call-c1',
          type: 'CallLinked',
          data: { callId: 'c1', number: '+447700900101', caseRef: 'C-1' },
        }),
      ),
    ).toEqual({ number: 'contact:+447700900101' });
  });
});
