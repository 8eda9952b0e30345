import { defaultPolicy } from '@send/sla';
import { contactRequestDecider, InvalidCommand, RequestAlreadyExists, streamIdFor, type SubmitRequest } from '../index';
import { deciderSpec, type SpecContext } from '../testing/decider-spec';
import { at, atDate, fastPolicy, REQUEST_ID, submitRequest, submitted, T0 } from '../testing/fixtures';

describe('SubmitRequest', () => {
  let ctx: SpecContext;
  beforeEach(() => (ctx = { now: atDate(0), policy: fastPolicy }));
  const spec = deciderSpec(contactRequestDecider, () => ctx);

  it('records the request with due dates computed from the policy and frozen in the event', () =>
    spec
      .given()
      .when(submitRequest())
      .then(submitted({ due: { firstResponseAt: at(100), resolutionAt: at(1000) } })));

  it('defaults priority to normal and uses the urgent SLA for urgent requests', () =>
    spec
      .given()
      .when(submitRequest({ priority: 'urgent' }))
      .then(submitted({ priority: 'urgent', due: { firstResponseAt: at(50), resolutionAt: at(500) } })));

  it('uses the category SLA where the policy names one', () =>
    spec
      .given()
      .when(submitRequest({ category: 'complaint' }))
      .then(submitted({ category: 'complaint', due: { firstResponseAt: at(200), resolutionAt: at(2000) } })));

  it('keeps the team when one is given', () =>
    spec
      .given()
      .when(submitRequest({ teamId: 'north' }))
      .then(submitted({ teamId: 'north' })));

  it("counts working time on the default Mon–Fri calendar: Friday 16:00 + P3D is due at Wednesday's close, 17:00", () => {
    ctx = { now: new Date('2026-03-06T16:00:00Z'), policy: defaultPolicy };
    spec
      .given()
      .when(submitRequest())
      .then(
        submitted({
          submittedAt: '2026-03-06T16:00:00.000Z',
          due: { firstResponseAt: '2026-03-11T17:00:00.000Z', resolutionAt: '2026-03-20T17:00:00.000Z' },
        }),
      );
  });

  it('refuses a second submission to the same stream', () =>
    spec
      .given(submitted())
      .when(submitRequest())
      .thenThrows(RequestAlreadyExists, (e) => expect(e).toMatchObject({ code: 'request_already_exists' })));

  it('names the stream contact-request-<id>', () => expect(streamIdFor(REQUEST_ID)).toBe(`contact-request-${REQUEST_ID}`));

  it('starts open with nothing unanswered', () =>
    spec
      .given()
      .when(submitRequest())
      .thenState((s) =>
        expect(s).toMatchObject({ status: 'open', unansweredCount: 0, escalation: null, submittedAt: T0, assignee: null }),
      ));

  it.each<[string, Partial<SubmitRequest>]>([
    ['category', { category: 'parking' as never }],
    ['priority', { priority: 'asap' as never }],
    ['channel', { channel: 'fax' as never }],
    ['requester.role', { requester: { role: 'neighbour' as never, name: 'N', email: 'n@example.org' } }],
    ['subject', { subject: '  ' }],
    ['message', { message: '' }],
  ])('refuses an invalid %s (InvalidCommand, 400) so nothing bad is stored', (field, over) =>
    spec
      .given()
      .when(submitRequest(over))
      .thenThrows(InvalidCommand, (e) => expect(e.message).toContain(field)),
  );

  it('accepts an empty caseRef (optional in the API: not yet linked to a case)', () =>
    spec
      .given()
      .when(submitRequest({ caseRef: '' }))
      .then(submitted({ caseRef: '' })));
});
