import { createSecretKey } from 'node:crypto';
import type { JwtModuleOptions } from '@nestjs/jwt';
import type { AppConfig } from '@send/platform';

/** The one algorithm tokens are signed and accepted with. */
export const JWT_ALGORITHM = 'HS256' as const;

/**
 * JwtService options with the secret as a KeyObject made once. Given a string, jsonwebtoken tries
 * createPublicKey on every verify, fails, then builds a secret key: a third of the api's busy time
 * under load. A KeyObject skips both, and pinning HS256 on sign and verify means a token can never
 * pick its own algorithm. Tokens are byte-for-byte what the string secret produced (same HMAC key).
 */
export function jwtModuleOptions(config: Pick<AppConfig, 'JWT_SECRET' | 'JWT_TTL'>): JwtModuleOptions {
  return {
    secret: createSecretKey(Buffer.from(config.JWT_SECRET, 'utf8')),
    signOptions: { algorithm: JWT_ALGORITHM, expiresIn: config.JWT_TTL as `${number}h` },
    verifyOptions: { algorithms: [JWT_ALGORITHM] },
  };
}
