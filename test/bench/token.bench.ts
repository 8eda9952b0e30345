/**
 * Token verify micro-benchmark: what the AuthGuard pays per request to check a bearer token.
 *
 *   npm run bench:token        (BENCH_SECONDS per phase, default 2)
 *
 * `string secret` is how the api verified before (JwtModule with the secret as a string:
 * jsonwebtoken tries createPublicKey on it every time, fails, then builds a secret key);
 * `KeyObject + HS256` is jwtModuleOptions, what the api verifies a token with on its first use;
 * `kept` is TokenVerifier on a token it verified before (what every later request with it costs).
 * `raw HMAC` is the floor: one HMAC-SHA256 over the same token with node:crypto and nothing else.
 * Speed is reported, never asserted.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { JwtService } from '@nestjs/jwt';
import { jwtModuleOptions } from '../../apps/api/src/auth/jwt-options';
import { TokenVerifier } from '../../apps/api/src/auth/token-verifier';
import { emitFigure, emitOptions } from './results';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 2);
const config = { JWT_SECRET: 'bench-secret-0123456789abcdef0123456789', JWT_TTL: '8h' };
const claims = { sub: 'user-1', email: 'officer@example.org', name: 'Sam Officer', role: 'officer', teamId: 'team-north' };

const before = new JwtService({ secret: config.JWT_SECRET, signOptions: { expiresIn: '8h' } });
const after = new JwtService(jwtModuleOptions(config));

async function rate(name: string, verify: () => Promise<unknown> | unknown): Promise<number> {
  for (let i = 0; i < 2000; i++) await verify(); // warm up
  let n = 0;
  const until = performance.now() + SECONDS * 1000;
  const started = performance.now();
  while (performance.now() < until) {
    for (let i = 0; i < 500; i++) await verify();
    n += 500;
  }
  const perSecond = n / ((performance.now() - started) / 1000);
  console.log(
    `${name.padEnd(28)} ${Math.round(perSecond).toLocaleString('en-GB').padStart(10)} verifies/s  (${(1e6 / perSecond).toFixed(1)} µs each)`,
  );
  return perSecond;
}

async function main(): Promise<void> {
  const token = await before.signAsync(claims);
  // A token signed the old way verifies the new way: the format did not change.
  if ((await after.verifyAsync<{ sub: string }>(token)).sub !== claims.sub) throw new Error('tokens signed before do not verify now');
  const [head, payload, signature] = token.split('.');
  const key = Buffer.from(config.JWT_SECRET);
  const expected = Buffer.from(signature, 'base64url');
  console.log(`token verify, ${SECONDS} s per phase, node ${process.version}`);
  emitOptions('token', { BENCH_SECONDS: SECONDS });
  const slow = await rate('string secret (before)', () => before.verifyAsync(token));
  const fast = await rate('KeyObject + HS256 (now)', () => after.verifyAsync(token));
  const verifier = new TokenVerifier(after);
  const kept = await rate('kept (TokenVerifier)', () => verifier.claims(token));
  const raw = await rate('raw HMAC (floor)', () =>
    timingSafeEqual(createHmac('sha256', key).update(`${head}.${payload}`).digest(), expected),
  );
  console.log(`now / before: ${(fast / slow).toFixed(1)}x`);
  const floor = 'raw HMAC-SHA256 over the token (node:crypto)';
  const figure = { bench: 'token', unit: 'verifies/s', higherIsBetter: true };
  emitFigure({ ...figure, figure: floor, value: raw, isBaseline: true });
  emitFigure({ ...figure, figure: "verify, KeyObject + HS256 (a token's first use)", value: fast, baselines: [floor] });
  emitFigure({ ...figure, figure: 'a token verified before (TokenVerifier, what the api runs)', value: kept, baselines: [floor] });
  emitFigure({
    ...figure,
    figure: 'verify, string secret (before)',
    value: slow,
    baselines: [floor],
    note: `the api now: x${(fast / slow).toFixed(1)} this`,
  });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
