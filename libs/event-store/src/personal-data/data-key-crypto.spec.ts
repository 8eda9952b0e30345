import { TEST_DATA_KEYS_SECRET } from '../testing/event-stores';
import {
  KeyEncryptionKey,
  PersonalDataUnreadable,
  decryptField,
  encryptField,
  newDataKey,
  newKeyId,
  openEventEnvelope,
  parseEventEnvelope,
  sealEventFields,
} from './data-key-crypto';

/**
 * The envelopes' and key rows' IVs, key ids and data keys are drawn from one pool of random bytes
 * (refilled 48 KiB at a time; IVs and key ids are read in place, data keys copied out): these draw
 * past several refills and check that nothing repeats and everything still opens.
 */
describe('data-key-crypto', () => {
  const kek = new KeyEncryptionKey(TEST_DATA_KEYS_SECRET);
  const paths = [['requester', 'name'], ['message']];
  // More than the pool holds (4,096 IVs): with four draws each, these cross several refills.
  const DRAWS = 5_000;

  it('gives every envelope, wrapped key and sealed subject an IV of its own, across refills of the pool', () => {
    const key = newDataKey();
    const keyId = newKeyId();
    const ivs = new Set<string>();
    for (let i = 0; i < DRAWS; i++) {
      ivs.add(parseEventEnvelope(sealEventFields(keyId, key, paths, ['Ann', `message ${i}`])).iv);
      ivs.add(encryptField(keyId, key, 'Ann').split('.')[2]);
      ivs.add(kek.wrap(keyId, key).subarray(0, 12).toString('hex'));
      ivs.add(kek.sealSubject('email:ann@example.org').subarray(0, 12).toString('hex'));
    }
    expect(ivs.size).toBe(DRAWS * 4);
  });

  it('makes distinct key ids and data keys, and a data key is not changed by later draws', () => {
    const ids = new Set<string>();
    const keys = new Set<string>();
    const first = newDataKey();
    const firstCopy = Buffer.from(first);
    for (let i = 0; i < DRAWS; i++) {
      ids.add(newKeyId());
      keys.add(newDataKey().toString('hex'));
      kek.wrap('x'.repeat(22), first);
    }
    expect(ids.size).toBe(DRAWS);
    expect(keys.size).toBe(DRAWS);
    expect(first.equals(firstCopy)).toBe(true);
  });

  it('opens what it sealed, across refills: envelopes of both formats, wrapped keys, sealed subjects', () => {
    for (let i = 0; i < DRAWS; i += 25) {
      const key = newDataKey();
      const keyId = newKeyId();
      const values = [`Ann ${i}`, `our son cannot sleep ${i} ✓`];
      expect(openEventEnvelope(parseEventEnvelope(sealEventFields(keyId, key, paths, values)), key)).toEqual(values);
      expect(decryptField(encryptField(keyId, key, values[1]), key)).toBe(values[1]);
      expect(kek.unwrap(keyId, kek.wrap(keyId, key)).equals(key)).toBe(true);
      expect(kek.openSubject(kek.sealSubject(`email:ann${i}@example.org`))).toBe(`email:ann${i}@example.org`);
    }
  });

  it('refuses a wrapped key or sealed subject whose bytes, tag or key id were changed', () => {
    const key = newDataKey();
    const keyId = newKeyId();
    const wrapped = kek.wrap(keyId, key);
    for (const at of [0, 12, 28, wrapped.length - 1]) {
      const bad = Buffer.from(wrapped);
      bad[at] ^= 1;
      expect(() => kek.unwrap(keyId, bad)).toThrow(PersonalDataUnreadable);
    }
    expect(() => kek.unwrap(newKeyId(), wrapped)).toThrow(PersonalDataUnreadable);
    const subject = kek.sealSubject('email:ann@example.org');
    subject[subject.length - 1] ^= 1;
    expect(() => kek.openSubject(subject)).toThrow(PersonalDataUnreadable);
  });

  it('refuses an envelope whose ciphertext or tag was changed', () => {
    const key = newDataKey();
    const sealed = parseEventEnvelope(sealEventFields(newKeyId(), key, paths, ['Ann', 'message']));
    const body = Buffer.from(sealed.body, 'base64url');
    for (const at of [0, body.length - 1]) {
      const bad = Buffer.from(body);
      bad[at] ^= 1;
      expect(() => openEventEnvelope({ ...sealed, body: bad.toString('base64url') }, key)).toThrow(PersonalDataUnreadable);
    }
  });
});
