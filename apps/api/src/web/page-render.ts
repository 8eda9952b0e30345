import { Injectable } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AuthUser } from '../auth/roles';
import { roleName } from './web-words';

/** Renders a page with what every page needs: the signed-in user (for the header) and a CSRF token for its forms. */
@Injectable()
export class PageRender {
  page(request: FastifyRequest, reply: FastifyReply, view: string, data: Record<string, unknown>, user: AuthUser | null, status = 200) {
    const csrfToken = reply.generateCsrf({ secure: request.protocol === 'https' });
    return reply
      .code(status)
      .header('cache-control', 'no-store')
      .type('text/html; charset=utf-8')
      .view(view, { ...data, user: user ? { ...user, roleName: roleName(user.role) } : null, csrfToken, currentPath: request.url });
  }
}
