/**
 * Routing at submission (shared API.md, "Cases and routing"): a request takes its team and case
 * officer from the child's case, so it reaches the person who knows the child; anything else goes to
 * triage. Pure: the app looks up the cases and the officer's availability and passes them in.
 *
 * The rule that applied is recorded on the request (RequestRouted), so the timeline says how the
 * request got where it is. An unknown case and a case the requester is not linked to share one rule,
 * `case_not_matched`: the requester can read their own timeline, and whether a case number exists is
 * never revealed to someone not linked to it.
 */
export type RoutingRule =
  /** The case named in the request (the requester is linked to it, or staff submitted for it). */
  | 'named_case'
  /** No case named, and the requester is linked to exactly one. */
  | 'only_linked_case'
  /** Staff sent it to a case or team from triage (or moved it). */
  | 'rerouted'
  /** Triage: the case named is unknown, closed, or not one of the requester's. */
  | 'case_not_matched'
  /** Triage: no case named, and the requester is linked to several. */
  | 'several_cases'
  /** Triage: no case named, and the requester is linked to none. */
  | 'no_case';

export const ROUTING_RULES: readonly RoutingRule[] = [
  'named_case',
  'only_linked_case',
  'rerouted',
  'case_not_matched',
  'several_cases',
  'no_case',
];

export interface Routing {
  rule: RoutingRule;
  /** The case the request is filed on; null in triage. */
  caseRef: string | null;
  /** null in triage. */
  teamId: string | null;
  /** Who the request is assigned to; null when the case officer is away (it waits in the team queue) or there is none. */
  officerId: string | null;
  /** The case officer is away: the team must cover it. */
  needsCover: boolean;
}

/** What routing needs to know of a case. */
export interface RoutableCase {
  caseRef: string;
  status: 'open' | 'closed';
  teamId: string;
  caseOfficerId: string;
}

export interface RoutingInput {
  /** The case number the request names ('' or null: none). */
  requestedCaseRef: string | null;
  /** That case, when it exists. */
  namedCase: RoutableCase | null;
  /** The open cases the requester is a contact of. */
  linkedCases: readonly RoutableCase[];
  /** Staff submitting on someone's behalf may name any case. */
  onBehalf: boolean;
  /** Is this officer away now? */
  isAway(officerId: string): boolean;
}

const toCase = (rule: RoutingRule, c: RoutableCase, isAway: (officerId: string) => boolean): Routing => {
  const away = isAway(c.caseOfficerId);
  return { rule, caseRef: c.caseRef, teamId: c.teamId, officerId: away ? null : c.caseOfficerId, needsCover: away };
};

const triage = (rule: RoutingRule): Routing => ({ rule, caseRef: null, teamId: null, officerId: null, needsCover: false });

export const routeRequest = (input: RoutingInput): Routing => {
  const named = input.requestedCaseRef?.trim() || null;
  if (named !== null) {
    const c = input.namedCase;
    const mayUse =
      c !== null && c.caseRef === named && c.status === 'open' && (input.onBehalf || input.linkedCases.some((l) => l.caseRef === named));
    return mayUse ? toCase('named_case', c, input.isAway) : triage('case_not_matched');
  }
  const open = input.linkedCases.filter((c) => c.status === 'open');
  if (open.length === 1) return toCase('only_linked_case', open[0]!, input.isAway);
  return triage(open.length === 0 ? 'no_case' : 'several_cases');
};

/** Staff moving a request (from triage, or to another case or team). */
export const rerouteTo = (target: { case: RoutableCase } | { teamId: string }, isAway: (officerId: string) => boolean): Routing =>
  'case' in target
    ? toCase('rerouted', target.case, isAway)
    : { rule: 'rerouted', caseRef: null, teamId: target.teamId, officerId: null, needsCover: false };
