import { createHmac } from 'node:crypto';
import { JwtService } from '@nestjs/jwt';
import { jwtModuleOptions } from './jwt-options';

const config = { JWT_SECRET: 'spec-secret-0123456789abcdef', JWT_TTL: '8h' };
const claims = { sub: 'user-1', email: 'parent@example.org', name: 'Pat Parent', role: 'parent', teamId: null };

/** A token by hand: header and claims as given, signed with HMAC-SHA256 or not at all. */
function handMade(header: object, payload: object, sign: 'hs256' | 'hs512' | 'none'): string {
  const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const input = `${b64(header)}.${b64(payload)}`;
  if (sign === 'none') return `${input}.`;
  return `${input}.${createHmac(sign === 'hs256' ? 'sha256' : 'sha512', config.JWT_SECRET)
    .update(input)
    .digest('base64url')}`;
}

describe('JWT options: a key object made once, HS256 only', () => {
  const now = new JwtService(jwtModuleOptions(config));

  it('verifies tokens signed the way the api signed them before (string secret, default algorithm)', async () => {
    const before = new JwtService({ secret: config.JWT_SECRET, signOptions: { expiresIn: '8h' } });
    const token = await before.signAsync(claims);
    await expect(now.verifyAsync(token)).resolves.toMatchObject({ sub: 'user-1', role: 'parent' });
  });

  it('signs tokens the string-secret service still accepts, with alg HS256 in the header', async () => {
    const token = await now.signAsync(claims);
    const header = JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString());
    expect(header).toEqual({ alg: 'HS256', typ: 'JWT' });
    await expect(new JwtService({ secret: config.JWT_SECRET }).verifyAsync(token)).resolves.toMatchObject({ sub: 'user-1' });
  });

  it('refuses a token signed with the right secret under another HMAC algorithm', async () => {
    const exp = Math.floor(Date.now() / 1000) + 3600;
    await expect(now.verifyAsync(handMade({ alg: 'HS512', typ: 'JWT' }, { ...claims, exp }, 'hs512'))).rejects.toThrow(/invalid algorithm/);
    await expect(now.verifyAsync(handMade({ alg: 'HS256', typ: 'JWT' }, { ...claims, exp }, 'hs256'))).resolves.toMatchObject({
      sub: 'user-1',
    });
  });

  it('refuses an unsigned token (alg none)', async () => {
    await expect(now.verifyAsync(handMade({ alg: 'none', typ: 'JWT' }, claims, 'none'))).rejects.toThrow();
  });

  it('refuses an expired token and one signed with another secret', async () => {
    const expired = handMade({ alg: 'HS256', typ: 'JWT' }, { ...claims, exp: 1_000_000 }, 'hs256');
    await expect(now.verifyAsync(expired)).rejects.toThrow(/expired/);
    const other = new JwtService(jwtModuleOptions({ ...config, JWT_SECRET: 'another-secret-0123456789abcdef' }));
    await expect(now.verifyAsync(await other.signAsync(claims))).rejects.toThrow(/signature/);
  });
});
