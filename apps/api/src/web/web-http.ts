import { join } from 'node:path';
import { packageDir, viewsDir, webAssetsDir } from './view-paths';
import fastifyCookie from '@fastify/cookie';
import fastifyCsrf from '@fastify/csrf-protection';
import fastifyStatic from '@fastify/static';
import fastifyView from '@fastify/view';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import nunjucks from 'nunjucks';
import type { AppConfig } from '@send/platform';
import { installSignInLimits } from '../auth/sign-in-limits';
import { isPagePath } from './page-paths';
import { govukDateTime } from './web-words';


export { packageDir, viewsDir, webAssetsDir } from './view-paths';

/**
 * The web pages' Fastify plugins, on the api's own Fastify instance (one process, one origin):
 * cookies, CSRF, Nunjucks views over govuk-frontend's and MoJ's templates, their precompiled
 * assets, and the sign-in flood guard (shared with the API's login; wrong passwords are counted by SignInFailures). Called by createApiApp before app.init().
 */
export async function installWebPages(app: NestFastifyApplication, config: AppConfig): Promise<void> {
  const fastify = app.getHttpAdapter().getInstance() as unknown as FastifyInstance;
  const govuk = join(packageDir('govuk-frontend'), 'dist');
  const moj = packageDir('@ministryofjustice/frontend');

  await fastify.register(fastifyCookie, { secret: config.JWT_SECRET });
  // The CSRF secret lives in its own httpOnly cookie; each form carries a token made from it.
  await fastify.register(fastifyCsrf, { sessionPlugin: '@fastify/cookie', cookieOpts: { path: '/', sameSite: 'lax', httpOnly: true, signed: true } });
  await fastify.register(fastifyView, {
    engine: { nunjucks },
    templates: [viewsDir(), govuk, moj],
    options: {
      autoescape: true,
      // Templates re-read on each render only while developing (an edit shows at once); tests render from
      // the cache as production does: recompiling the GOV.UK layout cost ~50 ms of CPU a page.
      noCache: config.NODE_ENV === 'development',
      onConfigure: (env: nunjucks.Environment) => {
        env.addFilter('mojDate', (iso: string) => govukDateTime(iso, config.policy.calendar.timezone));
        env.addFilter('date', (iso: string) => govukDateTime(iso, config.policy.calendar.timezone));
        env.addFilter('govukDateTime', (iso: string) => govukDateTime(iso, config.policy.calendar.timezone));
      },
    },
  });
  // govuk-frontend's precompiled CSS refers to its fonts and images under /assets/.
  await fastify.register(fastifyStatic, { root: join(govuk, 'govuk/assets'), prefix: '/assets/', index: false, maxAge: '1d' });
  const builtOnly = (path: string) => /\.(css|js|mjs|map)$/.test(path);
  await fastify.register(fastifyStatic, {
    root: join(govuk, 'govuk'),
    prefix: '/govuk/',
    decorateReply: false,
    index: false,
    allowedPath: builtOnly,
    maxAge: '1d',
  });
  await fastify.register(fastifyStatic, { root: join(moj, 'moj'), prefix: '/moj/', decorateReply: false, index: false, allowedPath: builtOnly, maxAge: '1d' });
  // The pages' own scripts (files, never inline, so a strict Content-Security-Policy can allow 'self' only), and Chart.js's UMD build.
  await fastify.register(fastifyStatic, { root: webAssetsDir(), prefix: '/web-assets/', decorateReply: false, index: false, allowedPath: builtOnly, maxAge: '1h' });
  await fastify.register(fastifyStatic, {
    root: join(packageDir('chart.js'), 'dist'),
    prefix: '/chart.js/',
    decorateReply: false,
    index: false,
    allowedPath: (path: string) => /^\/?chart\.umd(\.min)?\.js$/.test(path),
    maxAge: '1d',
  });

  const signInAllowed = await installSignInLimits(fastify);

  const pageForm = async (request: FastifyRequest, reply: FastifyReply) => {
    // Every page form carries the token; a post without a good one changes nothing.
    const csrfOk = await new Promise<boolean>((resolve) => {
      const send = reply.send.bind(reply);
      // csrfProtection answers a bad token with reply.send(error): catch that and show a page instead.
      (reply as { send: unknown }).send = () => resolve(false);
      fastify.csrfProtection(request, reply, () => resolve(true));
      (reply as { send: unknown }).send = send;
    });
    if (!csrfOk) {
      return reply.code(403).type('text/html').view('errors/form-expired.njk', { pageTitle: 'This form has expired' });
    }
    if (request.url.split('?')[0] === '/sign-in' && !(await signInAllowed(request, reply))) {
      return reply.code(429).type('text/html').view('errors/too-many.njk', { pageTitle: 'Too many attempts to sign in' });
    }
  };
  // Every POST to a page's path, a route or not (an unknown page's form is refused as any other).
  // A callback hook, not an async one: the API's requests pass on at once, without a promise each.
  fastify.addHook('preHandler', (request, reply, done) => {
    if (request.method !== 'POST' || !isPagePath(request.url)) return done();
    pageForm(request, reply).then(() => done(), done);
  });
}
