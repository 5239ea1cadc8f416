import type { RequestHandler } from 'express';
import { ipKeyGenerator, MemoryStore, rateLimit } from 'express-rate-limit';
import { DomainError } from '../domain/shared/errors.js';

export const AUTH_RATE_LIMITED = 'Too many authentication attempts. Please try again in a minute.';

/** One budget per client address for the endpoints that guess passwords or send mail, over REST and GraphQL alike. */
export interface AuthRateLimit {
  middleware: RequestHandler;
  /** For transports that are not express routes (GraphQL resolvers): counts one attempt, throws 429 past the limit. */
  consume(clientIp: string | null): Promise<void>;
}

export function authRateLimit(perMinute: number): AuthRateLimit {
  const store = new MemoryStore();
  const middleware = rateLimit({
    windowMs: 60_000,
    limit: perMinute,
    store,
    // The same key for REST and GraphQL (IPv6 clients by their /56), so both draw on one budget.
    keyGenerator: (req) => ipKeyGenerator(req.ip ?? ''),
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    handler: (_req, res) => {
      res.status(429).json({ error: AUTH_RATE_LIMITED });
    },
  });
  return {
    middleware,
    async consume(clientIp) {
      const { totalHits } = await store.increment(ipKeyGenerator(clientIp ?? ''));
      if (totalHits > perMinute) throw new DomainError('rate_limited', AUTH_RATE_LIMITED);
    },
  };
}

export const UPLOAD_RATE_LIMITED = 'Too many uploads. Please try again in a minute.';

/**
 * A per-user budget per minute (uploads): the same mechanism as the auth limit, keyed by the
 * authenticated user instead of the address, so users behind one proxy do not share it. Mount after
 * authentication and before the body is parsed, so a refused request costs no upload.
 */
export function userRateLimit(perMinute: number, message: string): RequestHandler {
  return rateLimit({
    windowMs: 60_000,
    limit: perMinute,
    store: new MemoryStore(),
    keyGenerator: (req) => (req.actor ? `user:${req.actor.userId}` : `ip:${ipKeyGenerator(req.ip ?? '')}`),
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    handler: (_req, res) => {
      res.status(429).json({ error: message });
    },
  });
}
