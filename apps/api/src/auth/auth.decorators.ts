import { createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';
import type { AuthUser, Role } from './roles';

export const IS_PUBLIC = 'auth:public';
export const ROLES_KEY = 'auth:roles';
export const TOKEN_IN_QUERY = 'auth:token-in-query';

/** The route needs no sign-in. */
export const Public = () => SetMetadata(IS_PUBLIC, true);

/** Only these roles may call the route (403 otherwise). */
export const Roles = (...roles: Role[]) => SetMetadata(ROLES_KEY, roles);

/** The route also takes the token as ?access_token= (EventSource cannot send headers). */
export const TokenInQuery = () => SetMetadata(TOKEN_IN_QUERY, true);

/** The signed-in user, set by AuthGuard. */
export const CurrentUser = createParamDecorator((_: unknown, ctx: ExecutionContext): AuthUser => ctx.switchToHttp().getRequest().user);
