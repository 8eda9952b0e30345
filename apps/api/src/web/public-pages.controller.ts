import { Body, Controller, Get, Inject, Post, Req, Res, UseFilters } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { APP_CONFIG, Clock, type AppConfig } from '@send/platform';
import { dueAfter, dueInWords } from '@send/sla';
import { AccountsService } from '../auth/accounts.service';
import { Public } from '../auth/auth.decorators';
import { MANAGER_ROLES, REQUESTER_ROLES, type AuthUser } from '../auth/roles';
import { ProblemException } from '../common/problem';
import { PageErrorsFilter, renderErrorPage } from './page-errors.filter';
import { PageRender } from './page-render';
import { WebSession } from './web-session';
import { durationInWords } from './web-words';

/** Where a signed-in person starts: families their requests, officers their queue, managers their alerts, administrators the case import, the data protection officer the access log. */
export const homeOf = (user: AuthUser): string => {
  if ((REQUESTER_ROLES as readonly string[]).includes(user.role)) return '/requests';
  if (user.role === 'officer') return '/queue';
  if ((MANAGER_ROLES as readonly string[]).includes(user.role)) return '/alerts';
  if (user.role === 'admin') return '/admin/cases';
  if (user.role === 'dpo') return '/access-log';
  return '/';
};

/** The pages everyone sees, and signing in and out. Public to the API's bearer guard: the session cookie is checked here. */
@ApiExcludeController()
@Public()
@UseFilters(PageErrorsFilter)
@Controller()
export class PublicPagesController {
  constructor(
    private readonly render: PageRender,
    private readonly session: WebSession,
    private readonly accounts: AccountsService,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Get()
  async start(@Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    const { policy } = this.config;
    const now = this.clock.now();
    // The promise is the policy's own: its target in words, and the date it means for a message sent now.
    const promise = {
      within: durationInWords(policy.sla.default.firstResponse),
      urgentWithin: policy.sla.urgent?.firstResponse ? durationInWords(policy.sla.urgent.firstResponse) : null,
      ifSentNow: dueInWords(dueAfter(policy, now, policy.sla.default.firstResponse), policy, now),
      threshold: policy.unanswered.threshold,
    };
    return this.render.page(request, reply, 'start.njk', { promise }, await this.session.user(request));
  }

  @Get('accessibility')
  async accessibility(@Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    return this.render.page(request, reply, 'accessibility.njk', {}, await this.session.user(request));
  }

  @Get('privacy')
  async privacy(@Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    return this.render.page(request, reply, 'privacy.njk', {}, await this.session.user(request));
  }

  @Get('sign-in')
  async signInPage(@Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    const user = await this.session.user(request);
    if (user) return reply.redirect(homeOf(user), 303);
    return this.render.page(request, reply, 'sign-in.njk', { values: {}, errors: null, oidcSignIn: this.offersOidc() }, null);
  }

  @Post('sign-in')
  async signIn(@Body() body: unknown, @Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    const form = (body ?? {}) as Record<string, unknown>;
    const email = typeof form.email === 'string' ? form.email.trim() : '';
    const password = typeof form.password === 'string' ? form.password : '';
    const errors: Array<{ field: string; text: string }> = [];
    if (!email) errors.push({ field: 'email', text: 'Enter your email address' });
    if (!password) errors.push({ field: 'password', text: 'Enter your password' });
    let user: AuthUser | null = null;
    try {
      if (!errors.length) user = await this.accounts.authenticate(email, password, request.ip);
    } catch (error) {
      if (!(error instanceof ProblemException && error.problem.status === 429)) throw error;
      return renderErrorPage(request, reply, 429);
    }
    if (!errors.length && !user) errors.push({ field: 'email', text: 'Enter a correct email address and password' });
    if (!user) {
      return this.render.page(request, reply, 'sign-in.njk', { values: { email }, errors: fieldErrors(errors), oidcSignIn: this.offersOidc() }, null, 400);
    }
    await this.session.start(request, reply, user);
    return reply.redirect(homeOf(user), 303);
  }

  /** The sign-in page offers the council's identity provider when one is configured (web/oidc, ADR 0011). */
  private offersOidc(): boolean {
    return this.config.OIDC_ISSUER !== undefined;
  }

  @Get('sign-out')
  signOut(@Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    this.session.end(request, reply);
    return reply.redirect('/', 303);
  }
}

/** GOV.UK error summary items (each links to its field) and the inline message per field. */
export function fieldErrors(errors: Array<{ field: string; text: string }>) {
  const byField: Record<string, { text: string }> = {};
  for (const e of errors) byField[e.field] ??= { text: e.text };
  return { list: Object.entries(byField).map(([field, { text }]) => ({ text, href: `#${field}` })), byField };
}
