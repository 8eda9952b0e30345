import { scryptSync } from 'node:crypto';
import { decoyHash, hashPassword, needsRehash, verifyPassword } from './password';

describe('password hashing', () => {
  it('hashes with argon2id at OWASP\'s minimum cost, salted, and verifies only the right password', async () => {
    const [a, b] = await Promise.all([hashPassword('correct horse battery'), hashPassword('correct horse battery')]);
    expect(a).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(a).not.toBe(b); // a salt of its own each time
    expect(await verifyPassword('correct horse battery', a)).toBe(true);
    expect(await verifyPassword('correct horse batterY', a)).toBe(false);
    expect(needsRehash(a)).toBe(false);
  });

  it('still verifies the scrypt hashes stored before argon2id, and marks them for an upgrade', async () => {
    const salt = Buffer.from('0123456789abcdef');
    const legacy = `scrypt$${salt.toString('base64url')}$${scryptSync('demo', salt, 32).toString('base64url')}`;
    expect(await verifyPassword('demo', legacy)).toBe(true);
    expect(await verifyPassword('demO', legacy)).toBe(false);
    expect(needsRehash(legacy)).toBe(true);
    expect(needsRehash('$argon2id$v=19$m=4096,t=1,p=1$c2FsdA$aGFzaA')).toBe(true); // a weaker argon2 cost
  });

  it('answers false, never throws, for a stored value it cannot read', async () => {
    for (const stored of ['', 'plain', 'scrypt$only-salt', '$argon2id$garbage']) expect(await verifyPassword('x', stored)).toBe(false);
  });

  it('keeps one decoy hash, of no one\'s password, for unknown emails to be checked against', async () => {
    const decoy = await decoyHash();
    expect(await decoyHash()).toBe(decoy);
    expect(decoy).toMatch(/^\$argon2id\$/);
    expect(await verifyPassword('demo', decoy)).toBe(false);
  });
});
