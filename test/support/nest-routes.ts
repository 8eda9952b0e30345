import 'reflect-metadata';
import { RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA, ROUTE_ARGS_METADATA, SSE_METADATA } from '@nestjs/common/constants';
import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum';
import { ModulesContainer } from '@nestjs/core';
import type { INestApplication } from '@nestjs/common';
import { IS_PUBLIC, ROLES_KEY } from '../../apps/api/src/auth/auth.decorators';
import type { Role } from '../../apps/api/src/auth/roles';

export interface NestRoute {
  /** Lower case: get, post, put... */
  method: string;
  /** Nest's form: /api/requests/:id/attempts */
  path: string;
  /** The handler reads the request body (@Body). */
  readsBody: boolean;
  /** The handler reads the Idempotency-Key header. */
  readsIdempotencyKey: boolean;
  /** @Public() (the pages, sign-in, health, metrics, the signed webhook): no bearer token asked for. */
  isPublic: boolean;
  /** @Roles(...) on the handler or its controller, if any. */
  roles: readonly Role[] | null;
  /** @Sse(): answers a stream that stays open. */
  isStream: boolean;
}

/** Every route Nest registered, from the controllers' own metadata (what the router mounts): a new controller method is listed with no change here. */
export function nestRoutes(app: INestApplication): NestRoute[] {
  const routes: NestRoute[] = [];
  for (const module of app.get(ModulesContainer).values()) {
    for (const { metatype } of module.controllers.values()) {
      if (!metatype) continue;
      const base = String(Reflect.getMetadata(PATH_METADATA, metatype) ?? '');
      for (const name of Object.getOwnPropertyNames(metatype.prototype)) {
        const handler = metatype.prototype[name];
        if (name === 'constructor' || typeof handler !== 'function' || Reflect.getMetadata(PATH_METADATA, handler) === undefined) continue;
        const path = `/${[base, String(Reflect.getMetadata(PATH_METADATA, handler))].join('/')}`
          .replace(/\/+/g, '/')
          .replace(/(.)\/$/, '$1');
        const args = Object.entries<{ data?: string }>(Reflect.getMetadata(ROUTE_ARGS_METADATA, metatype, name) ?? {});
        const reads = (type: RouteParamtypes, data?: string) =>
          args.some(([key, arg]) => key.startsWith(`${type}:`) && (data === undefined || arg.data === data));
        const meta = <T>(key: string): T | undefined => Reflect.getMetadata(key, handler) ?? Reflect.getMetadata(key, metatype);
        routes.push({
          method: RequestMethod[Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod].toLowerCase(),
          path,
          readsBody: reads(RouteParamtypes.BODY),
          readsIdempotencyKey: reads(RouteParamtypes.HEADERS, 'idempotency-key'),
          isPublic: meta<boolean>(IS_PUBLIC) === true,
          roles: meta<Role[]>(ROLES_KEY) ?? null,
          isStream: Reflect.getMetadata(SSE_METADATA, handler) === true,
        });
      }
    }
  }
  return routes;
}

/** /api/requests/:id -> /api/requests/{id} */
export const toOpenApiPath = (path: string) => path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
