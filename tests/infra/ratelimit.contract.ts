import { randomUUID } from 'node:crypto';
import type { Options, Store } from 'express-rate-limit';

/** What the API rate limit needs from a counter store, for every adapter. */
export function describeRateLimitStoreContract(
  name: string,
  open: (windowMs: number) => Promise<{ store: Store; close(): Promise<void> }>,
) {
  describe(`rate-limit store contract: ${name}`, () => {
    const opened: { close(): Promise<void> }[] = [];
    const storeWith = async (windowMs = 60_000) => {
      const s = await open(windowMs);
      opened.push(s);
      return s.store;
    };
    const key = () => `contract-${randomUUID()}`;
    afterAll(async () => {
      for (const s of opened) await s.close();
    });

    it('counts hits per key, starting at 1, with the reset at most one window ahead', async () => {
      const store = await storeWith();
      const k = key();
      const before = Date.now();
      const first = await store.increment(k);
      expect(first.totalHits).toBe(1);
      expect(first.resetTime!.getTime()).toBeGreaterThan(before);
      expect(first.resetTime!.getTime()).toBeLessThanOrEqual(Date.now() + 60_000);
      expect((await store.increment(k)).totalHits).toBe(2);
      expect((await store.increment(key())).totalHits).toBe(1);
    });

    it('counts concurrent hits exactly once each', async () => {
      const store = await storeWith();
      const k = key();
      await Promise.all(Array.from({ length: 50 }, () => store.increment(k)));
      // (The memory store answers its live counter object, so only the count after them is comparable.)
      expect((await store.increment(k)).totalHits).toBe(51);
    });

    it('decrements and resets a key', async () => {
      const store = await storeWith();
      const k = key();
      await store.increment(k);
      await store.increment(k);
      await store.decrement(k);
      expect((await store.increment(k)).totalHits).toBe(2);
      await store.resetKey(k);
      expect((await store.increment(k)).totalHits).toBe(1);
    });

    it('answers the current count of a key, and nothing for an unknown one', async () => {
      const store = await storeWith();
      const k = key();
      expect(await store.get?.(k)).toBeUndefined();
      await store.increment(k);
      expect((await store.get?.(k))?.totalHits).toBe(1);
    });

    it('starts a new window once the old one has passed', async () => {
      const store = await storeWith(300);
      const k = key();
      await store.increment(k);
      await store.increment(k);
      await new Promise((r) => setTimeout(r, 450));
      expect((await store.increment(k)).totalHits).toBe(1);
    });
  });
}

/** Options as express-rate-limit hands them to a store's init. */
export const initOptions = (windowMs: number) => ({ windowMs }) as Options;
