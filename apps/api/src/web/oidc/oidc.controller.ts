import { Controller, Get, Req, Res, UseFilters } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Public } from '../../auth/auth.decorators';
import { PageErrorsFilter, renderErrorPage } from '../page-errors.filter';
import { PageRender } from '../page-render';
import { homeOf } from '../public-pages.controller';
import { WebSession } from '../web-session';
import { OidcSignIn, OidcSignInFailed, type PendingSignIn } from './oidc-sign-in';

/** The state, nonce and PKCE verifier between leaving for the provider and coming back. */
const PENDING_COOKIE = 'oidc_pending';
/** Long enough to sign in at the provider (a password, a second factor), short enough that a stale one expires. */
const PENDING_SECONDS = 10 * 60;

/** Signed (JWT_SECRET, @fastify/cookie), never readable by scripts, sent only to these routes, on the provider's top-level redirect back (lax). */
const pendingCookieOptions = (request: FastifyRequest) =>
  ({ path: '/sign-in/oidc', httpOnly: true, sameSite: 'lax', secure: request.protocol === 'https', signed: true }) as const;

/**
 * "Sign in with your council account": to the identity provider and back (ADR 0011). Public to
 * the API's bearer guard; the session it starts is the pages' own (WebSession), as local sign-in's is.
 */
@ApiExcludeController()
@Public()
@UseFilters(PageErrorsFilter)
@Controller('sign-in/oidc')
export class OidcController {
  constructor(
    private readonly oidc: OidcSignIn,
    private readonly session: WebSession,
    private readonly render: PageRender,
  ) {}

  @Get()
  async start(@Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    if (!this.oidc.enabled) return renderErrorPage(request, reply, 404);
    try {
      const { url, pending } = await this.oidc.begin();
      reply.setCookie(PENDING_COOKIE, Buffer.from(JSON.stringify(pending)).toString('base64url'), {
        ...pendingCookieOptions(request),
        maxAge: PENDING_SECONDS,
      });
      return reply.header('cache-control', 'no-store').redirect(url.href, 303);
    } catch (error) {
      if (!(error instanceof OidcSignInFailed)) throw error;
      return this.failed(request, reply, 502);
    }
  }

  @Get('callback')
  async callback(@Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    if (!this.oidc.enabled) return renderErrorPage(request, reply, 404);
    const pending = this.pending(request);
    // One use: whatever happens next, this state cannot be replayed.
    reply.clearCookie(PENDING_COOKIE, pendingCookieOptions(request));
    if (!pending) return this.failed(request, reply, 400);
    const query = request.url.includes('?') ? request.url.slice(request.url.indexOf('?')) : '';
    let outcome;
    try {
      outcome = await this.oidc.complete(query, pending, request.id);
    } catch (error) {
      if (!(error instanceof OidcSignInFailed)) throw error;
      return this.failed(request, reply, 400);
    }
    if ('refused' in outcome) {
      // Signed in at the council, but no group or role here gives access: no session.
      return this.render.page(request, reply, 'oidc/no-access.njk', { reason: outcome.refused, name: outcome.name }, null, 403);
    }
    await this.session.start(request, reply, outcome.user);
    return reply.redirect(homeOf(outcome.user), 303);
  }

  /** The kept state, or null when it is missing, expired, or its signature does not match (changed in the browser). */
  private pending(request: FastifyRequest): PendingSignIn | null {
    const raw = request.cookies?.[PENDING_COOKIE];
    if (!raw) return null;
    const unsigned = request.unsignCookie(raw);
    if (!unsigned.valid || !unsigned.value) return null;
    try {
      const value = JSON.parse(Buffer.from(unsigned.value, 'base64url').toString('utf8')) as Partial<PendingSignIn>;
      const ok = [value.state, value.nonce, value.codeVerifier].every((v) => typeof v === 'string' && v.length > 0);
      return ok ? (value as PendingSignIn) : null;
    } catch {
      return null;
    }
  }

  private failed(request: FastifyRequest, reply: FastifyReply, status: 400 | 502) {
    return this.render.page(request, reply, 'oidc/failed.njk', { providerDown: status === 502 }, null, status);
  }
}
