/** The key store port's contract: every adapter (SQLite file, MongoDB collection) must pass it. */
import { randomUUID } from 'node:crypto';
import { KEY_BYTES, type KeyStore } from '../../src/infra/keystore/port.js';

export function describeKeyStoreContract(name: string, open: () => Promise<KeyStore>): void {
  describe(`key store contract: ${name}`, () => {
    let keys: KeyStore;
    beforeEach(async () => {
      keys = await open();
    });
    afterEach(() => keys.close());
    const subject = () => `user-${randomUUID()}`;

    it('given no key, when one is asked for, then a fresh 32-byte key, the same one every time after', async () => {
      const s = subject();
      expect(await keys.find(s)).toBeNull();
      const key = await keys.keyFor(s);
      expect(key).toHaveLength(KEY_BYTES);
      expect(await keys.keyFor(s)).toEqual(key);
      expect(await keys.find(s)).toEqual(key);
    });

    it('given two subjects, then each has a key of its own', async () => {
      const [a, b] = [subject(), subject()];
      expect(await keys.keyFor(a)).not.toEqual(await keys.keyFor(b));
    });

    it('given many asking at once for a new subject, then all get the one key kept', async () => {
      const s = subject();
      const got = await Promise.all(Array.from({ length: 8 }, () => keys.keyFor(s)));
      for (const key of got) expect(key).toEqual(got[0]);
      expect(await keys.find(s)).toEqual(got[0]);
    });

    it('given a key, when destroyed, then it is gone for good: found as null and never made again', async () => {
      const s = subject();
      await keys.keyFor(s);
      expect(await keys.destroy(s)).toBe(true);
      expect(await keys.find(s)).toBeNull();
      expect(await keys.keyFor(s)).toBeNull();
      expect(await keys.destroy(s)).toBe(false);
    });

    it('given a subject that never had a key, when destroyed, then none is ever made for it', async () => {
      const s = subject();
      expect(await keys.destroy(s)).toBe(false);
      expect(await keys.keyFor(s)).toBeNull();
    });

    it('given a key, when the store is opened again, then the key is still there', async () => {
      const s = subject();
      const key = await keys.keyFor(s);
      await keys.close();
      keys = await open();
      expect(await keys.find(s)).toEqual(key);
    });
  });
}
