import { Injectable } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RequestView } from '@send/domain';
import type { AuthUser } from '../auth/roles';
import { problemOf } from '../common/problem.filter';
import { untilReadModelShows } from '../common/read-your-writes';
import type { RequestCommandContext } from '../requests/request-commands';
import { GetRequestViewQuery } from '../requests/request-view.query';
import { DONE_BANNERS, pageErrors, RequestPage } from './request-page';
import { formErrors, type FieldMessages } from './web-words';

/** A form's fields by name: strings only (a repeated field, or anything else, reads as absent). */
export const formOf = (body: unknown) => {
  const form = (body ?? {}) as Record<string, unknown>;
  return (name: string): string | undefined => (typeof form[name] === 'string' ? (form[name] as string) : undefined);
};

/**
 * What every action form on the request page does after its controller has read the form: run the
 * API's command with the signed-in user; on a problem the person can put right (400, 409, 422) show
 * the page again with the GOV.UK error summary and the field's message, keeping what they typed; on
 * success wait until the read model shows the write, then redirect (303) to the page with a banner.
 * 403 and 404 go on to the error pages.
 */
@Injectable()
export class RequestActions {
  constructor(
    private readonly queries: QueryBus,
    private readonly page: RequestPage,
  ) {}

  async act(
    request: FastifyRequest,
    reply: FastifyReply,
    user: AuthUser,
    id: string,
    done: keyof typeof DONE_BANNERS,
    messages: FieldMessages,
    values: Record<string, string | undefined>,
    run: (ctx: RequestCommandContext) => Promise<RequestView>,
    options: { idempotencyKey?: string; notFoundIsAField?: boolean } = {},
  ) {
    // The form's own key: pressing the button twice (or back and again) records it once.
    const ctx: RequestCommandContext = {
      actor: user,
      idempotencyKey: options.idempotencyKey?.slice(0, 200) || undefined,
      correlationId: request.id,
    };
    let written: RequestView;
    try {
      written = await run(ctx);
    } catch (error) {
      const problem = problemOf(error);
      const correctable = problem && ([400, 409, 422].includes(problem.status) || (problem.status === 404 && options.notFoundIsAField));
      if (!correctable) throw error;
      // (Re-reading the request for the page answers 404 when it is not the caller's to see, whatever the form said.)
      return this.page.show(request, reply, user, id, {
        errors: pageErrors(formErrors(problem, messages, values)),
        values,
        status: problem.status === 404 ? 400 : problem.status,
      });
    }
    // A request routed away from everything the caller may see (another team) is no longer theirs to show.
    if (!(await this.untilShown(written, user))) return reply.redirect(`/queue/triage?done=${done}`, 303);
    return reply.redirect(`/requests/${encodeURIComponent(id)}?done=${done}`, 303);
  }

  /**
   * The page after a post reads the request views, which the worker projects a few ms behind: wait
   * (briefly, at most a second) until they show this write, so the person sees what they just did.
   * False when the caller may no longer see the request at all.
   */
  private async untilShown(written: RequestView, user: AuthUser): Promise<boolean> {
    let visible = true;
    await untilReadModelShows(async () => {
      try {
        const shown: RequestView = await this.queries.execute(new GetRequestViewQuery(written.id, user));
        return shown.updatedAt >= written.updatedAt;
      } catch (error) {
        if (problemOf(error)?.status !== 404) throw error;
        visible = false;
        return true;
      }
    });
    return visible;
  }
}
