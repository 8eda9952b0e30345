import { ForbiddenException, Injectable, UnauthorizedException } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { sessionOf, type AuthUser } from '../auth/roles';
import { SessionStanding } from '../auth/session-standing';
import { TokenVerifier } from '../auth/token-verifier';

export const SESSION_COOKIE = 'session';

/** Cookie options: never readable by scripts, sent on top-level navigation only, secure over TLS. */
const cookieOptions = (request: FastifyRequest) =>
  ({ path: '/', httpOnly: true, sameSite: 'lax', secure: request.protocol === 'https' }) as const;

/**
 * The pages' session: the same JWT the API's bearer token is (same key, algorithm and lifetime,
 * JWT_SECRET / JWT_TTL), carried in a cookie instead of a header. The JSON API never reads the
 * cookie, so it stays bearer-only and needs no CSRF defence.
 */
@Injectable()
export class WebSession {
  constructor(
    private readonly jwt: JwtService,
    private readonly tokens: TokenVerifier,
    private readonly standing: SessionStanding,
  ) {}

  async start(request: FastifyRequest, reply: FastifyReply, user: AuthUser): Promise<void> {
    const token = await this.jwt.signAsync({ sub: user.id, email: user.email, name: user.name, role: user.role, teamId: user.teamId });
    reply.setCookie(SESSION_COOKIE, token, cookieOptions(request));
  }

  end(request: FastifyRequest, reply: FastifyReply): void {
    reply.clearCookie(SESSION_COOKIE, cookieOptions(request));
  }

  /**
   * The signed-in user allowed this page: otherwise 401 (PageErrorsFilter sends them to sign in) or
   * 403 (the "not allowed" page). Every page controller's first line.
   */
  async require(request: FastifyRequest, allowed: (user: AuthUser) => boolean = () => true): Promise<AuthUser> {
    const user = await this.user(request);
    if (!user) throw new UnauthorizedException();
    if (!allowed(user)) throw new ForbiddenException();
    return user;
  }

  /** The signed-in user, or null (no cookie, a bad signature, expired, a session that no longer stands, or a role nobody signs in with). */
  async user(request: FastifyRequest): Promise<AuthUser | null> {
    const token = request.cookies?.[SESSION_COOKIE];
    if (!token) return null;
    try {
      const claims = this.tokens.claims(token);
      if (!(await this.standing.stands(claims.sub, claims.iat))) return null;
      return { id: claims.sub, email: claims.email, name: claims.name, role: claims.role, teamId: claims.teamId ?? null, session: sessionOf(claims) };
    } catch {
      return null;
    }
  }
}
