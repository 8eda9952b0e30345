import fastifyCookie from '@fastify/cookie';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter as BullBoardFastifyAdapter } from '@bull-board/fastify';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Queue } from 'bullmq';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import IORedis from 'ioredis';
import { NOTIFICATIONS_QUEUE } from '@send/notifications';
import type { AppConfig } from '@send/platform';
import { TIMER_QUEUE_NAME } from '@send/scheduling';
import { problem } from '../common/problem';
import { SessionStanding } from '../auth/session-standing';
import { TokenVerifier, type TokenClaims } from '../auth/token-verifier';
import { SESSION_COOKIE } from '../web/web-session';

export const QUEUES_BOARD_PATH = '/admin/queues';
const COOKIE = 'send_admin_token';

/**
 * bull-board over the timer and notification queues, for administrators: waiting, delayed, failed
 * (with reasons and attempts) and retry. It sits outside Nest's guards, so it checks the same JWT
 * itself: the pages' session cookie (an administrator signed in at /sign-in follows the link from
 * /admin/cases), a Bearer header, or `?access_token=` once, which it keeps in an httpOnly cookie;
 * and, like every session, only while it stands (SessionStanding: not revoked, not disabled).
 */
export async function mountQueuesBoard(app: NestFastifyApplication, config: AppConfig): Promise<() => Promise<void>> {
  const tokens = app.get(TokenVerifier, { strict: false });
  const standing = app.get(SessionStanding, { strict: false });
  const connection = new IORedis(config.REDIS_URL, { maxRetriesPerRequest: null });
  const queues = [new Queue(TIMER_QUEUE_NAME, { connection }), new Queue(NOTIFICATIONS_QUEUE, { connection })];
  const board = new BullBoardFastifyAdapter();
  board.setBasePath(QUEUES_BOARD_PATH);
  createBullBoard({
    queues: queues.map((q) => new BullMQAdapter(q)),
    serverAdapter: board,
    options: { uiConfig: { boardTitle: 'SEND queues' } },
  });

  await app.register(async (scope: FastifyInstance) => {
    // The web pages (installWebPages) already parse cookies for the whole api; a bare app gets its own here.
    if (!scope.hasRequestDecorator('cookies')) await scope.register(fastifyCookie);
    scope.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
      const query = request.query as Record<string, unknown>;
      const fromQuery = typeof query.access_token === 'string' ? query.access_token : undefined;
      const [scheme, fromHeader] = (request.headers.authorization ?? '').split(' ');
      const token = (scheme === 'Bearer' ? fromHeader : undefined) ?? fromQuery ?? request.cookies[COOKIE] ?? request.cookies[SESSION_COOKIE];
      const deny = (status: number, detail: string) =>
        reply
          .status(status)
          .header('content-type', 'application/problem+json')
          .send(problem(status, status === 401 ? 'unauthorized' : 'forbidden', detail));
      if (!token)
        return deny(401, `Sign in as an administrator: open ${QUEUES_BOARD_PATH}?access_token=<token from POST /api/auth/login>.`);
      let user: TokenClaims;
      try {
        user = tokens.claims(token);
      } catch {
        return deny(401, 'The token is invalid or has expired; sign in again.');
      }
      if (!(await standing.stands(user.sub, user.iat))) return deny(401, 'This session has ended; sign in again.');
      if (user.role !== 'admin') return deny(403, 'The queues are for administrators.');
      if (fromQuery)
        reply.setCookie(COOKIE, token, {
          path: QUEUES_BOARD_PATH,
          httpOnly: true,
          sameSite: 'strict',
          secure: config.NODE_ENV === 'production',
        });
    });
    await scope.register(board.registerPlugin(), { prefix: QUEUES_BOARD_PATH });
  });

  return async () => {
    await Promise.all(queues.map((q) => q.close()));
    await connection.quit().catch(() => connection.disconnect());
  };
}
