import Fastify from 'fastify';
import fastifyHelmet from '@fastify/helmet';
import { installSecurityHeaders } from './api-http';

describe('installSecurityHeaders', () => {
  it('answers with exactly the headers @fastify/helmet set for the same options', async () => {
    const options = { contentSecurityPolicy: { directives: { defaultSrc: ["'self'"], imgSrc: ["'self'", 'data:'] } } };
    const plugin = Fastify();
    await plugin.register(fastifyHelmet, options);
    const once = Fastify();
    installSecurityHeaders(once, options);
    const headers = async (app: ReturnType<typeof Fastify>) => {
      app.get('/', async () => ({ ok: true }));
      const { date: _date, ...rest } = (await app.inject('/')).headers;
      return rest;
    };
    const expected = await headers(plugin);
    expect(expected['content-security-policy']).toContain("img-src 'self' data:");
    expect(await headers(once)).toEqual(expected);
  });

  it('gives the relaxed headers to their prefix only: inline scripts for Swagger UI, none anywhere else', async () => {
    const strict = { contentSecurityPolicy: { directives: { defaultSrc: ["'self'"], scriptSrc: ["'self'"] } } };
    const docs = { contentSecurityPolicy: { directives: { defaultSrc: ["'self'"], scriptSrc: ["'self'", "'unsafe-inline'"] } } };
    const app = Fastify();
    installSecurityHeaders(app, strict, { prefix: '/api/docs', options: docs });
    app.get('/*', async () => ({ ok: true }));
    const csp = async (url: string) => String((await app.inject(url)).headers['content-security-policy']);
    expect(await csp('/api/docs/index.html')).toContain("script-src 'self' 'unsafe-inline'");
    for (const page of ['/', '/requests/new', '/alerts', '/api/requests']) {
      expect(await csp(page)).toContain("script-src 'self';");
      expect(await csp(page)).not.toMatch(/script-src[^;]*unsafe-inline/);
    }
  });
});
