import { Injectable } from '@nestjs/common';
import fastifyRateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { LRUCache } from 'lru-cache';
import { problem, ProblemException } from '../common/problem';

/** The two doors to a password check: the sign-in page's form and the API's login. */
export const SIGN_IN_PATHS = ['/sign-in', '/api/auth/login'] as const;

export const SIGN_IN_LIMITS = {
  /** Wrong passwords for one account in a window: guessing one account's password is slow. */
  failuresPerEmail: 5,
  /** Wrong passwords from one address: trying many accounts is slow too. */
  failuresPerAddress: 30,
  /** Every attempt from one address, right or wrong: a flood guard (each check costs a hash). */
  attemptsPerAddress: 120,
  windowMs: 60_000,
} as const;

export const tooManySignIns = () =>
  new ProblemException(problem(429, 'too-many-sign-ins', 'Too many attempts to sign in: wait a minute, then try again.'));

/**
 * Failed sign-ins counted per account email and per client address, for both doors together, over a
 * sliding minute. Only failures count: a council office behind one address signs in many people at
 * nine o'clock, and none of them should wait for it. Counts are per api process (in memory): with N
 * processes a guesser gets at most N times the rate, which still makes guessing slow.
 */
@Injectable()
export class SignInFailures {
  private readonly failures = new LRUCache<string, number[]>({ max: 100_000, ttl: SIGN_IN_LIMITS.windowMs });

  /** Throws 429 when this account or this address has failed too often in the last minute. */
  assertAllowed(email: string, address: string, now = Date.now()): void {
    if (this.recent(emailKey(email), now) >= SIGN_IN_LIMITS.failuresPerEmail) throw tooManySignIns();
    if (this.recent(`ip:${address}`, now) >= SIGN_IN_LIMITS.failuresPerAddress) throw tooManySignIns();
  }

  recordFailure(email: string, address: string, now = Date.now()): void {
    for (const key of [emailKey(email), `ip:${address}`]) this.failures.set(key, [...this.within(key, now), now]);
  }

  private recent(key: string, now: number): number {
    return this.within(key, now).length;
  }

  private within(key: string, now: number): number[] {
    return (this.failures.get(key) ?? []).filter((t) => now - t < SIGN_IN_LIMITS.windowMs);
  }
}

const emailKey = (email: string) => `email:${email.trim().toLowerCase()}`;

/**
 * The flood guard (@fastify/rate-limit): every sign-in attempt from one address, right or wrong, on
 * either door. The address is Fastify's request.ip, which believes X-Forwarded-For only from
 * TRUSTED_PROXIES. The page's door shows its own page (the check is returned for web-http.ts); the
 * API's answers problem+json here.
 */
export async function installSignInLimits(fastify: FastifyInstance): Promise<(request: FastifyRequest, reply: FastifyReply) => Promise<boolean>> {
  await fastify.register(fastifyRateLimit, { global: false });
  const byAddress = fastify.rateLimit({
    max: SIGN_IN_LIMITS.attemptsPerAddress,
    timeWindow: SIGN_IN_LIMITS.windowMs,
    keyGenerator: (req: FastifyRequest) => `ip:${req.ip}`,
    groupId: 'sign-in-ip',
  });
  const allowed = async (request: FastifyRequest, reply: FastifyReply): Promise<boolean> => {
    try {
      await byAddress.call(fastify, request, reply);
      return true;
    } catch {
      return false;
    }
  };
  const apiLogin = async (request: FastifyRequest, reply: FastifyReply) => {
    if (await allowed(request, reply)) return;
    return reply
      .code(429)
      .header('retry-after', String(SIGN_IN_LIMITS.windowMs / 1000))
      .type('application/problem+json')
      .send(tooManySignIns().problem);
  };
  // On the API's login route alone (Nest mounts it at init, after this), not a hook every request runs.
  fastify.addHook('onRoute', (route) => {
    if (route.url !== '/api/auth/login' || !([] as string[]).concat(route.method).includes('POST')) return;
    route.preHandler = [...([] as unknown[]).concat(route.preHandler ?? []), apiLogin] as typeof route.preHandler;
  });
  return allowed;
}
