import type { Request, RequestHandler } from 'express';
import { ipKeyGenerator, MemoryStore, rateLimit, type Store } from 'express-rate-limit';
import type { Actor } from '../commands/shared/context.js';
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
export const UPLOAD_RATE_LIMITED = 'Too many uploads. Please try again in a minute.';

/** Paths (below /api and /api/v1) that the authentication limit governs instead. */
const AUTH_LIMITED_PATHS = new Set(['/auth/login/', '/auth/refresh/', '/users/request_password_reset/', '/users/reset_password/']);

interface UserRateLimitOptions {
  /** Keeps the counters of different limits apart in a shared store. */
  name: string;
  /** Where the counters live: Redis makes processes share one budget. */
  store?: Store;
  skip?: (req: Request) => boolean;
  windowMs?: number;
}

/** A user's budget, for express routes and for transports that are not (graphql-ws operations). */
export interface UserRateLimit {
  middleware: RequestHandler;
  /** Counts one request of `actor` (or of the anonymous client at `clientIp`); false once past the limit. */
  consume(actor: Pick<Actor, 'userId'> | null, clientIp: string | null): Promise<boolean>;
}

/**
 * A budget per minute per user (however they authenticate) or, for anonymous requests, per client
 * address, so users behind one proxy do not share it. Mount after authentication.
 */
export function userRateLimit(
  perMinute: number, message: string, { name, store = new MemoryStore(), skip, windowMs = 60_000 }: UserRateLimitOptions,
): UserRateLimit {
  const keyOf = (actor: Pick<Actor, 'userId'> | null | undefined, ip: string | null | undefined) =>
    (actor ? `${name}:user:${actor.userId}` : `${name}:ip:${ipKeyGenerator(ip ?? '')}`);
  const middleware = rateLimit({
    windowMs,
    limit: perMinute,
    store,
    // Spelled out (not through keyOf): express-rate-limit checks that a generator reading req.ip calls ipKeyGenerator.
    keyGenerator: (req) => (req.actor ? keyOf(req.actor, null) : `${name}:ip:${ipKeyGenerator(req.ip ?? '')}`),
    skip,
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    // A Redis outage should not take the API down with it: requests pass uncounted until it is back.
    passOnStoreError: true,
    handler: (_req, res) => {
      res.status(429).json({ error: message });
    },
  });
  return {
    middleware,
    async consume(actor, clientIp) {
      try {
        const { totalHits } = await store.increment(keyOf(actor, clientIp));
        return totalHits <= perMinute;
      } catch {
        return true; // as the middleware does: a store outage lets requests through uncounted
      }
    },
  };
}

/** The general limit for REST and GraphQL (HTTP and graphql-ws); the authentication endpoints have their own. */
export const apiRateLimit = (perMinute: number, store?: Store, windowMs?: number) =>
  userRateLimit(perMinute, API_RATE_LIMITED, { name: 'api', store, windowMs, skip: (req) => req.baseUrl.startsWith('/api') && AUTH_LIMITED_PATHS.has(req.path) });

/** Uploads per user; mounted before the body is parsed, so a refused request costs no upload. */
export const uploadRateLimit = (perMinute: number) => userRateLimit(perMinute, UPLOAD_RATE_LIMITED, { name: 'upload' }).middleware;
