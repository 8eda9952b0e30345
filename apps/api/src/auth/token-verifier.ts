import { Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { LRUCache } from 'lru-cache';
import { ROLES, type AuthUser } from './roles';

/** What a verified token carries (claims as signed by AuthController / WebSession). */
export type TokenClaims = Readonly<AuthUser & { sub: string; iat?: number; exp?: number; nbf?: number }>;

/** Tokens whose signature one process remembers: a client reuses its token for every call until it expires. */
export const VERIFIED_TOKENS_KEPT = 10_000;

/**
 * Checks a signed-in token (bearer header, page cookie, queues board): jsonwebtoken's verify with the
 * key and algorithm of jwtModuleOptions, and a role people sign in with. What verify proves of a
 * token string (its signature, its algorithm, its claims) never changes, so a verified token's claims
 * are kept and a later use re-checks only what time changes (exp, nbf): the same answers as verifying
 * every time, without decoding twice and an HMAC per request. Only a token that verified is kept.
 * Whether the session still stands (SessionStanding) is the caller's next check, every time.
 */
@Injectable()
export class TokenVerifier {
  private readonly verified = new LRUCache<string, TokenClaims>({ max: VERIFIED_TOKENS_KEPT });

  constructor(private readonly jwt: JwtService) {}

  /** The token's claims; throws when it is malformed, badly signed, expired, not yet valid, or names an unknown role. */
  claims(token: string): TokenClaims {
    const kept = this.verified.get(token);
    if (kept) {
      // As jsonwebtoken judges them: whole seconds, no clock tolerance (jwtModuleOptions sets none).
      const now = Math.floor(Date.now() / 1000);
      if (kept.exp !== undefined && now >= kept.exp) {
        this.verified.delete(token);
        throw new Error('jwt expired');
      }
      if (kept.nbf !== undefined && kept.nbf > now) throw new Error('jwt not active');
      return kept;
    }
    const claims = this.jwt.verify<TokenClaims>(token);
    // Only the roles people sign in with: 'system' is never carried by a token.
    if (!(ROLES as readonly string[]).includes(claims.role)) throw new Error(`unknown role ${claims.role}`);
    this.verified.set(token, Object.freeze(claims));
    return claims;
  }
}
