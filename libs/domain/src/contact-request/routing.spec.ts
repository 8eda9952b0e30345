import fc from 'fast-check';
import { InvalidCommand, RequestClosed, rerouteTo, routeRequest, toView, type RoutableCase, type Routing } from '../index';
import { assigned, at, contactRequestSpec, REQUEST_ID, resolved, routed, submitRequest, submitted } from '../testing/fixtures';

const north: RoutableCase = { caseRef: 'C-1001', status: 'open', teamId: 'north', caseOfficerId: 'officer-1' };
const jordan: RoutableCase = { caseRef: 'C-1002', status: 'open', teamId: 'north', caseOfficerId: 'officer-2' };
const south: RoutableCase = { caseRef: 'C-2001', status: 'open', teamId: 'south', caseOfficerId: 'officer-3' };
const nobodyAway = () => false;

describe('routeRequest (API.md "Routing at submission")', () => {
  const route = (over: Partial<Parameters<typeof routeRequest>[0]>) =>
    routeRequest({ requestedCaseRef: null, namedCase: null, linkedCases: [], onBehalf: false, isAway: nobodyAway, ...over });

  it('files a request on the case it names, when the requester is linked to it: its team, assigned to its officer', () =>
    expect(route({ requestedCaseRef: 'C-1001', namedCase: north, linkedCases: [north, south] })).toEqual({
      rule: 'named_case',
      caseRef: 'C-1001',
      teamId: 'north',
      officerId: 'officer-1',
      needsCover: false,
    }));

  it('lets staff submitting on someone’s behalf name any open case', () =>
    expect(route({ requestedCaseRef: 'C-2001', namedCase: south, onBehalf: true })).toMatchObject({ rule: 'named_case', teamId: 'south' }));

  it('takes the only linked case when none is named', () =>
    expect(route({ linkedCases: [south] })).toMatchObject({ rule: 'only_linked_case', caseRef: 'C-2001', officerId: 'officer-3' }));

  it('leaves the request with the team, needing cover, when the case officer is away', () =>
    expect(route({ linkedCases: [north], isAway: (id) => id === 'officer-1' })).toEqual({
      rule: 'only_linked_case',
      caseRef: 'C-1001',
      teamId: 'north',
      officerId: null,
      needsCover: true,
    }));

  it.each([
    ['an unknown case', { requestedCaseRef: 'C-9999', namedCase: null, linkedCases: [north] }, 'case_not_matched'],
    ['a case the requester is not linked to', { requestedCaseRef: 'C-2001', namedCase: south, linkedCases: [north] }, 'case_not_matched'],
    [
      'a closed case',
      { requestedCaseRef: 'C-1001', namedCase: { ...north, status: 'closed' as const }, linkedCases: [north] },
      'case_not_matched',
    ],
    ['several linked cases and none named', { linkedCases: [north, jordan] }, 'several_cases'],
    ['no linked case', {}, 'no_case'],
  ])('sends %s to triage, with no team', (_, input, rule) =>
    expect(route(input)).toEqual({ rule, caseRef: null, teamId: null, officerId: null, needsCover: false }),
  );

  it('never tells a requester whether a case they are not linked to exists: unknown and not-linked route alike', () =>
    fc.assert(
      fc.property(fc.constantFrom(north, jordan, south), fc.boolean(), (target, exists) => {
        const answer = route({ requestedCaseRef: target.caseRef, namedCase: exists ? target : null, linkedCases: [] });
        expect(answer).toEqual(route({ requestedCaseRef: target.caseRef, namedCase: null, linkedCases: [] }));
      }),
    ));

  it('re-routes to a case (its team and officer) or to a team alone', () => {
    expect(rerouteTo({ case: south }, nobodyAway)).toEqual({
      rule: 'rerouted',
      caseRef: 'C-2001',
      teamId: 'south',
      officerId: 'officer-3',
      needsCover: false,
    });
    expect(rerouteTo({ teamId: 'south' }, nobodyAway)).toEqual({
      rule: 'rerouted',
      caseRef: null,
      teamId: 'south',
      officerId: null,
      needsCover: false,
    });
  });
});

describe('RequestRouted on the request', () => {
  const s = contactRequestSpec();
  beforeEach(s.reset);
  const toCase: Routing = { rule: 'named_case', caseRef: 'C-1001', teamId: 'north', officerId: 'officer-1', needsCover: false };
  const toTriage: Routing = { rule: 'case_not_matched', caseRef: null, teamId: null, officerId: null, needsCover: false };

  it('records the routing and the assignment to the case officer in the submission’s append', () =>
    s
      .given()
      .when(submitRequest({ caseRef: 'C-1001', routing: toCase, by: 'parent-1' }))
      .then(
        submitted({ caseRef: 'C-1001' }),
        routed({ caseRef: 'C-1001', by: 'parent-1' }),
        assigned('officer-1', { by: 'parent-1', at: at(0) }),
      ));

  it('files a triaged request on no case, whatever case number it named, and keeps the number it named', () =>
    s
      .given()
      .when(submitRequest({ caseRef: 'C-2001', routing: toTriage, by: 'parent-1' }))
      .thenState((state, events) => {
        expect(events.map((e) => e.type)).toEqual(['ContactRequestSubmitted', 'RequestRouted']);
        expect(state).toMatchObject({ caseRef: '', requestedCaseRef: 'C-2001', teamId: null, assignee: null, status: 'open' });
        if (state.status === 'none') throw new Error('not submitted');
        expect(toView(state).caseRef).toBe('C-2001'); // the requester sees what they typed; scope uses caseRef
      }));

  it('marks a request whose officer is away as needing cover until someone takes it', () =>
    s
      .given(submitted({ caseRef: 'C-1001' }), routed({ officerId: null, needsCover: true }))
      .when({ type: 'AssignRequest', requestId: REQUEST_ID, officerId: 'officer-2', teamId: 'north', by: 'manager-1' })
      .thenState((state) => {
        expect(state).toMatchObject({ needsCover: false, assignee: { officerId: 'officer-2' }, status: 'assigned' });
      }));

  it('re-routes from triage to a case: routed, then assigned to its officer; the same again is a no-op', () => {
    s.given(submitted({ caseRef: '' }), routed({ rule: 'no_case', caseRef: null, teamId: null, officerId: null }))
      .when({ type: 'RouteRequest', requestId: REQUEST_ID, routing: { ...toCase, rule: 'rerouted' }, by: 'officer-9' })
      .then(routed({ rule: 'rerouted', caseRef: 'C-1001', by: 'officer-9' }), assigned('officer-1', { by: 'officer-9', at: at(0) }));
    s.given(submitted({ caseRef: '' }), routed({ caseRef: 'C-1001' }), assigned('officer-1'))
      .when({ type: 'RouteRequest', requestId: REQUEST_ID, routing: toCase, by: 'officer-9' })
      .thenNothing();
  });

  it('moving a request to a team alone keeps the case it is filed on and clears its assignee', () =>
    s
      .given(submitted(), routed({ caseRef: 'C-1001' }), assigned('officer-1'))
      .when({ type: 'RouteRequest', requestId: REQUEST_ID, routing: rerouteTo({ teamId: 'south' }, nobodyAway), by: 'manager-1' })
      .thenState((state) => expect(state).toMatchObject({ caseRef: 'C-1001', teamId: 'south', assignee: null, status: 'open' })));

  it('refuses a routing that contradicts itself, and routing a resolved request', () => {
    s.given()
      .when(submitRequest({ routing: { ...toTriage, officerId: 'officer-1' } }))
      .thenThrows(InvalidCommand);
    s.given()
      .when(submitRequest({ routing: { ...toCase, needsCover: true } }))
      .thenThrows(InvalidCommand);
    s.given(submitted(), resolved(at(5)))
      .when({ type: 'RouteRequest', requestId: REQUEST_ID, routing: toCase, by: 'x' })
      .thenThrows(RequestClosed);
  });
});
