import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { problem, ProblemException } from '../common/problem';
import { IS_PUBLIC, ROLES_KEY, TOKEN_IN_QUERY } from './auth.decorators';
import { sessionOf, type AuthUser, type Role } from './roles';
import { SessionStanding } from './session-standing';
import { TokenVerifier, type TokenClaims } from './token-verifier';

/** What a route's decorators ask of the guard (read once per route: metadata never changes after start). */
interface RouteAuth {
  isPublic: boolean;
  tokenInQuery: boolean;
  roles: readonly string[] | undefined;
}

type AuthRequest = { headers: Record<string, string | undefined>; query?: Record<string, unknown>; user?: AuthUser };

/**
 * Bearer token on every route unless @Public(); then @Roles(...) if the route names any.
 * A known user's call is judged without awaiting anything (Nest then awaits no promise for the guard).
 */
@Injectable()
export class AuthGuard implements CanActivate {
  /** Per handler, per class (a handler a subclass inherits may carry other class metadata). */
  private readonly routes = new WeakMap<object, WeakMap<object, RouteAuth>>();

  constructor(
    private readonly reflector: Reflector,
    private readonly tokens: TokenVerifier,
    private readonly standing: SessionStanding,
  ) {}

  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    const route = this.routeAuth(context.getHandler(), context.getClass());
    if (route.isPublic) return true;

    const request = context.switchToHttp().getRequest<AuthRequest>();
    let [scheme, token] = (request.headers.authorization ?? '').split(' ');
    const queryToken = request.query?.access_token;
    if (!token && typeof queryToken === 'string' && route.tokenInQuery) {
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
    const stands = this.standing.standsIfKept(claims.sub, claims.iat);
    return stands === undefined
      ? this.standing.stands(claims.sub, claims.iat).then((read) => this.admit(request, claims, route, read))
      : this.admit(request, claims, route, stands);
  }

  private admit(request: AuthRequest, claims: TokenClaims, route: RouteAuth, stands: boolean): true {
    if (!stands) {
      throw new ProblemException(
        problem(
          401,
          'session-ended',
          'This session has ended (the password changed, or the account was disabled or signed out everywhere); sign in again.',
        ),
      );
    }
    request.user = {
      id: claims.sub,
      email: claims.email,
      name: claims.name,
      role: claims.role,
      teamId: claims.teamId ?? null,
      session: sessionOf(claims),
    };

    const { roles } = route;
    if (roles && !roles.includes(request.user.role)) {
      throw new ProblemException(problem(403, 'forbidden', `This needs one of the roles: ${roles.join(', ')}.`));
    }
    return true;
  }

  private routeAuth(handler: object, cls: object): RouteAuth {
    let byClass = this.routes.get(handler);
    if (!byClass) this.routes.set(handler, (byClass = new WeakMap()));
    let route = byClass.get(cls);
    if (!route) {
      const targets = [handler, cls] as Parameters<Reflector['getAllAndOverride']>[1];
      route = {
        isPublic: !!this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets),
        tokenInQuery: !!this.reflector.getAllAndOverride<boolean>(TOKEN_IN_QUERY, targets),
        roles: this.reflector.getAllAndOverride<Role[] | undefined>(ROLES_KEY, targets),
      };
      byClass.set(cls, route);
    }
    return route;
  }
}
