import type { Redis } from 'ioredis';
import type { ClientRateLimitInfo, Options, Store } from 'express-rate-limit';

// One round trip, atomic: count the hit and start the window on the first one. PTTL answers the time
// left, so every process sharing the key reports the same reset. (-1: a key left without expiry by a
// crash between two commands elsewhere cannot happen here, but is healed the same way.)
const INCREMENT = `
local hits = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return { hits, ttl }`;

// Only an existing window is decremented, so a late decrement cannot create a key without expiry.
const DECREMENT = `
if redis.call('EXISTS', KEYS[1]) == 1 then
  return redis.call('DECR', KEYS[1])
end
return 0`;

const GET = `
local hits = redis.call('GET', KEYS[1])
if not hits then return nil end
return { tonumber(hits), redis.call('PTTL', KEYS[1]) }`;

/**
 * express-rate-limit's Store on Redis: fixed windows, one counter per client key shared by every
 * server process, so they spend one budget. The caller owns the connection.
 */
export class RedisRateLimitStore implements Store {
  private windowMs = 60_000;
  /** Counters live in Redis, not in this process. */
  readonly localKeys = false;

  constructor(
    private readonly redis: Redis,
    readonly prefix = 'chronicle:ratelimit:',
  ) {}

  init(options: Options): void {
    this.windowMs = options.windowMs;
  }

  async get(key: string): Promise<ClientRateLimitInfo | undefined> {
    const result = (await this.redis.eval(GET, 1, this.prefix + key)) as [number, number] | null;
    return result ? this.info(result) : undefined;
  }

  async increment(key: string): Promise<ClientRateLimitInfo> {
    const result = (await this.redis.eval(INCREMENT, 1, this.prefix + key, String(this.windowMs))) as [number, number];
    return this.info(result);
  }

  async decrement(key: string): Promise<void> {
    await this.redis.eval(DECREMENT, 1, this.prefix + key);
  }

  async resetKey(key: string): Promise<void> {
    await this.redis.del(this.prefix + key);
  }

  private info([hits, ttl]: [number, number]): ClientRateLimitInfo {
    return { totalHits: Number(hits), resetTime: new Date(Date.now() + Math.max(0, Number(ttl))) };
  }
}
