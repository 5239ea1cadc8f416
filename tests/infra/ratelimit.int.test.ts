import { randomUUID } from 'node:crypto';
import { MemoryStore } from 'express-rate-limit';
import { Redis } from 'ioredis';
import { RedisRateLimitStore } from '../../src/infra/ratelimit/redis.js';
import { describeRateLimitStoreContract, initOptions } from './ratelimit.contract.js';

function redisUrl(): string {
  const url = process.env.REDIS_URL;
  if (!url) throw new Error('REDIS_URL is not set: tests/setup/global-setup.ts should have started redis-server');
  return url;
}

describeRateLimitStoreContract('in memory', async (windowMs) => {
  const store = new MemoryStore();
  store.init(initOptions(windowMs));
  return { store, close: async () => store.shutdown() };
});

describeRateLimitStoreContract('redis', async (windowMs) => {
  const redis = new Redis(redisUrl());
  const store = new RedisRateLimitStore(redis, `test:${randomUUID()}:`);
  store.init(initOptions(windowMs));
  return { store, close: async () => void (await redis.quit()) };
});

describe('RedisRateLimitStore across connections (as across processes)', () => {
  it('answers each of many concurrent hits its own count (INCR and PEXPIRE in one script)', async () => {
    const redis = new Redis(redisUrl());
    try {
      const store = new RedisRateLimitStore(redis, `test:${randomUUID()}:`);
      store.init(initOptions(60_000));
      const results = await Promise.all(Array.from({ length: 50 }, () => store.increment('client')));
      expect(results.map((r) => r.totalHits).sort((a, b) => a - b)).toEqual(
        Array.from({ length: 50 }, (_, i) => i + 1),
      );
    } finally {
      await redis.quit();
    }
  });

  it('two stores with one prefix spend one budget, and every counter expires with its window', async () => {
    const prefix = `test:${randomUUID()}:`;
    const [a, b] = [new Redis(redisUrl()), new Redis(redisUrl())];
    try {
      const [first, second] = [new RedisRateLimitStore(a, prefix), new RedisRateLimitStore(b, prefix)];
      first.init(initOptions(60_000));
      second.init(initOptions(60_000));
      await first.increment('client');
      await second.increment('client');
      expect((await first.increment('client')).totalHits).toBe(3);
      const ttl = await a.pttl(`${prefix}client`);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(60_000);
    } finally {
      await Promise.all([a.quit(), b.quit()]);
    }
  });
});
