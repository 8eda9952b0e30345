import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { problem, ProblemException } from '../common/problem';
import { IS_PUBLIC, ROLES_KEY, TOKEN_IN_QUERY } from './auth.decorators';
import { sessionOf, type AuthUser, type Role } from './roles';
import { SessionStanding } from './session-standing';
import { TokenVerifier, type TokenClaims } from './token-verifier';

/** Bearer token on every route unless @Public(); then @Roles(...) if the route names any. */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly tokens: TokenVerifier,
    private readonly standing: SessionStanding,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) return true;

    const request = context
      .switchToHttp()
      .getRequest<{ headers: Record<string, string | undefined>; query?: Record<string, unknown>; user?: AuthUser }>();
    let [scheme, token] = (request.headers.authorization ?? '').split(' ');
    const queryToken = request.query?.access_token;
    if (!token && typeof queryToken === 'string' && this.reflector.getAllAndOverride<boolean>(TOKEN_IN_QUERY, targets)) {
      [scheme, token] = ['Bearer', queryToken];
    }
    if (scheme !== 'Bearer' || !token) {
      throw new ProblemException(problem(401, 'unauthorized', 'Send Authorization: Bearer <token> from POST /api/auth/login.'));
    }
    let claims: TokenClaims;
    try {
      claims = this.tokens.claims(token);
    } catch {
      throw new ProblemException(problem(401, 'unauthorized', 'The token is invalid or has expired; sign in again.'));
    }
    if (!(await this.standing.stands(claims.sub, claims.iat))) {
      throw new ProblemException(problem(401, 'session-ended', 'This session has ended (the password changed, or the account was disabled or signed out everywhere); sign in again.'));
    }
    request.user = { id: claims.sub, email: claims.email, name: claims.name, role: claims.role, teamId: claims.teamId ?? null, session: sessionOf(claims) };

    const roles = this.reflector.getAllAndOverride<Role[] | undefined>(ROLES_KEY, targets);
    if (roles && !(roles as readonly string[]).includes(request.user.role)) {
      throw new ProblemException(problem(403, 'forbidden', `This needs one of the roles: ${roles.join(', ')}.`));
    }
    return true;
  }
}
