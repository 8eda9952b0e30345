import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RequestView } from '@send/domain';
import { APP_CONFIG, Clock, type AppConfig } from '@send/platform';
import { UsersRepository, type TimelineEntry, type UserRecord } from '@send/read-models';
import { dueAfter, dueInWords } from '@send/sla';
import { MANAGER_ROLES, REQUESTER_ROLES, type AuthUser } from '../auth/roles';
import { GetRequestViewQuery } from '../requests/request-view.query';
import { GetTimelineQuery } from '../requests/timeline.query';
import { PageRender } from './page-render';
import {
  categoryName,
  dealtWithBy,
  durationInWords,
  escalatedTo,
  replyDueWords,
  RESPONSE_CHANNEL_CHOICES,
  staffTimelineItem,
  statusTag,
  timelineItem,
  whenItHappened,
  WITHOUT_REPLY_WORDS,
} from './web-words';

export const isRequester = (user: AuthUser) => (REQUESTER_ROLES as readonly string[]).includes(user.role);
/** Who works requests (API.md: respond, assign, prioritise, resolve, route): officers and managers. */
export const worksRequests = (user: AuthUser) => user.role === 'officer' || (MANAGER_ROLES as readonly string[]).includes(user.role);

/** GOV.UK error summary items, each linking to its field's first input, and the inline message per field. */
export interface PageErrors {
  list: Array<{ text: string; href: string }>;
  byField: Record<string, { text: string }>;
}

/** The banner after each action, by the `done` the redirect names (only these words, never the query's). */
export const DONE_BANNERS: Record<string, string> = {
  tried: 'We have recorded that you tried to get in touch again.',
  reopened: 'The request is open again.',
  responded: 'Your reply is recorded.',
  holding: 'Your holding reply is recorded.',
  callBackFailed: 'The failed call-back is recorded.',
  assigned: 'The request is assigned.',
  priority: 'The priority is changed.',
  resolved: 'The request is closed.',
  routed: 'The request is sent on.',
};

/**
 * The banner a `?done=` names, or none. Own keys only: `?done=constructor` or `hasOwnProperty` would
 * otherwise find Object.prototype's functions (the fuzz found the queue page answering 500 to that).
 */
export const doneBanner = (done: unknown): string | undefined =>
  typeof done === 'string' && Object.hasOwn(DONE_BANNERS, done) ? DONE_BANNERS[done] : undefined;

/** Where each form field's error links: the first input of a date. */
const ANCHORS: Record<string, string> = { 'withoutReply.answeredAt': 'withoutReply.answeredAt-day' };

export function pageErrors(errors: Array<{ field: string; text: string }>): PageErrors {
  const byField: Record<string, { text: string }> = {};
  for (const e of errors) byField[e.field] ??= { text: e.text };
  return { list: Object.entries(byField).map(([field, { text }]) => ({ text, href: `#${ANCHORS[field] ?? field}` })), byField };
}

/**
 * The request page, for the family (what they sent, who is dealing with it, when a reply is due,
 * chasing and reopening) and for staff (the same, with the message, the whole history and the
 * action forms the API lets their role use). Read through the API's queries with the user, so
 * scope is the API's: outside it, the 404 page.
 */
@Injectable()
export class RequestPage {
  constructor(
    private readonly queries: QueryBus,
    private readonly users: UsersRepository,
    private readonly render: PageRender,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async show(
    request: FastifyRequest,
    reply: FastifyReply,
    user: AuthUser,
    id: string,
    problem: { errors: PageErrors; values: Record<string, string | undefined>; status: number } | null = null,
  ) {
    const view: RequestView = await this.queries.execute(new GetRequestViewQuery(id, user));
    const timeline: TimelineEntry[] = await this.queries.execute(new GetTimelineQuery(id, user));
    const { policy } = this.config;
    const now = this.clock.now();
    const query = request.query as Record<string, string | undefined>;
    const staff = worksRequests(user);
    const replyDue = replyDueWords(view, now, (due) => dueInWords(due, policy, now));
    // A family may reopen within sla.reopenWithin of the resolution (the domain's rule, ReopenRequest); staff at any time.
    const reopenUntil =
      view.status === 'resolved' && view.resolvedAt ? dueAfter(policy, new Date(view.resolvedAt), policy.sla.reopenWithin) : null;
    const canReopen = view.status === 'resolved' && (staff || (isRequester(user) && reopenUntil !== null && now < reopenUntil));

    const officers = staff ? await this.officersFor(user, view) : [];
    const names = staff ? await this.officerNames(timeline) : {};
    const items = timeline
      .map((entry) => ({ entry, item: staff ? staffTimelineItem(entry, names) : timelineItem(entry) }))
      .filter((x) => x.item !== null)
      .reverse() // newest first, as the MoJ timeline shows it
      .map(({ entry, item }) => ({
        label: { text: item!.label },
        text: item!.text,
        datetime: { timestamp: whenItHappened(entry), type: 'datetime' },
      }));
    const submitted = timeline.find((e) => e.type === 'ContactRequestSubmitted');
    const values = problem?.values ?? {};
    const done = doneBanner(query.done);

    return this.render.page(
      request,
      reply,
      'requests/show.njk',
      {
        view,
        submitted: query.submitted === '1',
        done: problem ? undefined : done,
        errors: problem?.errors ?? null,
        values,
        category: categoryName(view.category),
        status: statusTag(view.status),
        dealtWithBy: dealtWithBy(view),
        replyDue,
        escalatedTo: escalatedTo(view, policy),
        canChase: isRequester(user) && view.status !== 'resolved',
        canReopen,
        reopenUntil: reopenUntil && isRequester(user) ? dueInWords(reopenUntil, policy, now) : null,
        threshold: policy.unanswered.threshold,
        updateWithin: `within ${durationInWords(policy.sla.updateWithin)}`,
        // One key for the forms of this page: each command type keeps its own (RequestCommands), so a second press records nothing new.
        formKey: randomUUID(),
        timeline: items,
        staff: staff
          ? {
              message: typeof submitted?.data.message === 'string' ? submitted.data.message : null,
              assignee: view.assignee ? (view.assignee.name ?? 'An officer') : null,
              canAct: view.status !== 'resolved',
              // An officer takes a request for themselves; managers give it to an officer (AssignRequest).
              assignToMe: user.role === 'officer' && view.assignee?.id !== user.id ? user.id : null,
              officerItems:
                user.role === 'officer'
                  ? []
                  : [
                      { value: '', text: 'Choose an officer' },
                      ...officers.map((o) => ({ value: o.id, text: `${o.name} (${o.teamId} team)`, selected: (values.officerId ?? view.assignee?.id) === o.id })),
                    ],
              teamItems: [
                { value: '', text: 'Choose a team' },
                ...(await this.teams()).map((t) => ({ value: t, text: `The ${t} team`, selected: values.teamId === t })),
              ],
              channelItems: RESPONSE_CHANNEL_CHOICES.map((c) => ({ ...c, checked: values.channel === c.value })),
              withoutReplyItems: view.firstRespondedAt
                ? []
                : Object.entries(WITHOUT_REPLY_WORDS).map(([value, text]) => ({ value, text, checked: values['withoutReply.reason'] === value })),
              // Whether the request ever had a reply is the domain's to know; with none on this period, ask why.
              needsWithoutReply: !view.firstRespondedAt,
            }
          : null,
      },
      user,
      problem?.status ?? 200,
    );
  }

  /** Who an officer's manager may give the request to: the request's team's officers (a team manager: their own team's). */
  private async officersFor(user: AuthUser, view: RequestView): Promise<UserRecord[]> {
    if (user.role === 'officer') return [];
    const team = user.role === 'team_manager' ? user.teamId : view.teamId;
    const officers = team ? await this.users.byTeam(team) : await this.users.byRole('officer');
    return officers.filter((u) => u.role === 'officer');
  }

  /** The teams there are: those with officers (where a request can be routed to be worked). */
  async teams(): Promise<string[]> {
    const officers = await this.users.byRole('officer');
    return [...new Set(officers.map((o) => o.teamId).filter((t): t is string => t !== null))].sort();
  }

  private async officerNames(timeline: TimelineEntry[]): Promise<Record<string, string>> {
    const ids = [...new Set(timeline.map((e) => e.data.officerId).filter((id): id is string => typeof id === 'string'))];
    const users = await this.users.getMany(ids);
    return Object.fromEntries(users.map((u) => [u.id, u.name]));
  }
}
