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
});
