import type { RequestHandler } from 'express';
import { ipKeyGenerator, MemoryStore, rateLimit, type Store } from 'express-rate-limit';
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

export const API_RATE_LIMITED = 'Request limit exceeded. Please try again in a minute.';

/** Paths (below /api and /api/v1) that the authentication limit governs instead. */
const AUTH_LIMITED_PATHS = new Set(['/auth/login/', '/auth/refresh/', '/users/request_password_reset/', '/users/reset_password/']);

/**
 * The general limit for REST and GraphQL: a budget per user (however they authenticate) or, for
 * anonymous requests, per client address. `store` decides whether processes share it (Redis) or not.
 */
export function apiRateLimit(perMinute: number, store: Store = new MemoryStore()): RequestHandler {
  return rateLimit({
    windowMs: 60_000,
    limit: perMinute,
    store,
    keyGenerator: (req) => (req.actor ? `api:user:${req.actor.userId}` : `api:ip:${ipKeyGenerator(req.ip ?? '')}`),
    skip: (req) => req.baseUrl.startsWith('/api') && AUTH_LIMITED_PATHS.has(req.path),
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    // A Redis outage should not take the API down with it: requests pass uncounted until it is back.
    passOnStoreError: true,
    handler: (_req, res) => {
      res.status(429).json({ error: API_RATE_LIMITED });
    },
  });
}
