import type Redis from 'ioredis';
import type { CaseState } from '@send/domain';
import { keys } from '../keys';

/** Reads the cases read model (CasesProjection). Lists are open cases only, ordered by caseRef. */
export class CasesRepository {
  constructor(private readonly redis: Redis) {}

  async get(caseRef: string): Promise<CaseState | null> {
    const stored = await this.redis.get(keys.case(caseRef));
    return stored ? (JSON.parse(stored) as CaseState) : null;
  }

  /** The cases the user is a contact of: by their portal account, or by the email they signed up with. */
  async casesOfUser(user: { id: string; email: string }): Promise<CaseState[]> {
    const refs = await this.redis.sunion(keys.casesByUser(user.id), keys.casesByEmail(user.email.toLowerCase()));
    return this.openCases(refs);
  }

  /** The open cases with a contact on this number (E.164, as toE164 gives it). */
  async casesByPhone(e164: string): Promise<CaseState[]> {
    return this.openCases(await this.redis.smembers(keys.casesByPhone(e164)));
  }

  private async openCases(refs: string[]): Promise<CaseState[]> {
    if (refs.length === 0) return [];
    const stored = await this.redis.mget(refs.map(keys.case));
    return stored
      .filter((s): s is string => s !== null)
      .map((s) => JSON.parse(s) as CaseState)
      .filter((c) => c.status === 'open')
      .sort((a, b) => a.caseRef.localeCompare(b.caseRef));
  }
}
