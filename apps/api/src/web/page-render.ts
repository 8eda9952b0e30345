import { Injectable } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AlertsRepository } from '@send/read-models';
import { MANAGER_ROLES, type AuthUser } from '../auth/roles';
import { roleName } from './web-words';

const isManager = (user: AuthUser | null) => !!user && (MANAGER_ROLES as readonly string[]).includes(user.role);

/**
 * Renders a page with what every page needs: the signed-in user (for the header), a CSRF token for
 * its forms, and for managers the header's alert count (one ZCARD of their alert inbox).
 */
@Injectable()
export class PageRender {
  constructor(private readonly alerts: AlertsRepository) {}

  async page(
    request: FastifyRequest,
    reply: FastifyReply,
    view: string,
    data: Record<string, unknown>,
    user: AuthUser | null,
    status = 200,
  ) {
    const csrfToken = reply.generateCsrf({ secure: request.protocol === 'https' });
    const alertCount = isManager(user) ? await this.alerts.countForUser(user!) : null;
    return reply
      .code(status)
      .header('cache-control', 'no-store')
      .type('text/html; charset=utf-8')
      .view(view, {
        ...data,
        user: user ? { ...user, roleName: roleName(user.role) } : null,
        csrfToken,
        currentPath: request.url,
        alertCount,
      });
  }
}
