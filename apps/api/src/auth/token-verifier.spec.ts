import { createHmac } from 'node:crypto';
import { JwtService } from '@nestjs/jwt';
import { jwtModuleOptions } from './jwt-options';
import { TokenVerifier } from './token-verifier';

const config = { JWT_SECRET: 'spec-secret-0123456789abcdef', JWT_TTL: '8h' };
const claims = { sub: 'user-1', email: 'parent@example.org', name: 'Pat Parent', role: 'parent', teamId: null };

function handMade(header: object, payload: object, alg: 'sha256' | 'sha512' = 'sha256'): string {
  const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const input = `${b64(header)}.${b64(payload)}`;
  return `${input}.${createHmac(alg, config.JWT_SECRET).update(input).digest('base64url')}`;
}

describe('TokenVerifier: a token verified once, its time-bound claims checked at each use', () => {
  const jwt = new JwtService(jwtModuleOptions(config));
  const nowSeconds = () => Math.floor(Date.now() / 1000);
  afterEach(() => jest.restoreAllMocks());

  it('answers as jsonwebtoken does, on a first and on a later use, for good and bad tokens alike', async () => {
    const exp = nowSeconds() + 3600;
    const tokens = {
      good: await jwt.signAsync(claims),
      otherSecret: await new JwtService(jwtModuleOptions({ ...config, JWT_SECRET: 'another-secret-0123456789abcdef' })).signAsync(claims),
      hs512: handMade({ alg: 'HS512', typ: 'JWT' }, { ...claims, exp }, 'sha512'),
      none: `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.`,
      expired: handMade({ alg: 'HS256', typ: 'JWT' }, { ...claims, exp: 1_000_000 }),
      notYet: handMade({ alg: 'HS256', typ: 'JWT' }, { ...claims, nbf: nowSeconds() + 3600, exp }),
      systemRole: await jwt.signAsync({ ...claims, role: 'system' }),
      malformed: 'not.a-token',
    };
    const verifier = new TokenVerifier(jwt);
    for (const [name, token] of Object.entries(tokens)) {
      for (const use of ['first', 'again']) {
        const outcome = (() => {
          try {
            return verifier.claims(token).sub;
          } catch {
            return 'refused';
          }
        })();
        expect({ name, use, outcome }).toEqual({ name, use, outcome: name === 'good' ? 'user-1' : 'refused' });
      }
    }
  });

  it('refuses a kept token once it has expired, as a fresh verify would', async () => {
    const verifier = new TokenVerifier(jwt);
    const token = await jwt.signAsync(claims, { expiresIn: 60 });
    const { exp } = verifier.claims(token);
    expect(verifier.claims(token).sub).toBe('user-1');

    jest.spyOn(Date, 'now').mockReturnValue((exp! - 1) * 1000);
    expect(verifier.claims(token).sub).toBe('user-1');
    jest.spyOn(Date, 'now').mockReturnValue(exp! * 1000);
    expect(() => verifier.claims(token)).toThrow(/expired/);
    expect(() => jwt.verify(token)).toThrow(/expired/);
  });

  it('verifies a token only once while it is kept', async () => {
    const verify = jest.spyOn(jwt, 'verify');
    const verifier = new TokenVerifier(jwt);
    const token = await jwt.signAsync(claims);
    for (let i = 0; i < 5; i++) verifier.claims(token);
    expect(verify).toHaveBeenCalledTimes(1);
  });
});
