import type { Request, RequestHandler, Response } from 'express';
import { type ClientRateLimitInfo, ipKeyGenerator, MemoryStore, type Options, type Store } from 'express-rate-limit';
import type { Actor } from '../commands/shared/context.js';
import { DomainError } from '../domain/shared/errors.js';

interface LimitOptions {
  windowMs: number;
  limit: number;
  store: Store;
  key: (req: Request) => string;
  skip?: (req: Request) => boolean;
  /** The 429 answer's `error`. */
  message: string;
  /** A store outage lets requests through uncounted instead of failing them. */
  passOnStoreError?: boolean;
}

/**
 * A fixed-window budget per key on an express-rate-limit Store, answering as express-rate-limit's own
 * middleware did with `standardHeaders: 'draft-7'`: `RateLimit-Policy` and `RateLimit` on every counted
 * request, `Retry-After` and 429 `{error}` past the limit. Its middleware cost a share of a small request
 * (five awaits, per-request validations, debug calls reading `req.ip`) around what is one counter here.
 */
function fixedWindowLimit({
  windowMs,
  limit,
  store,
  key,
  skip,
  message,
  passOnStoreError = false,
}: LimitOptions): RequestHandler {
  store.init?.({ windowMs } as Options);
  const windowSeconds = Math.ceil(windowMs / 1000);
  const policy = `${limit};w=${windowSeconds}`;
  const counted = (res: Response, next: (err?: unknown) => void, { totalHits, resetTime }: ClientRateLimitInfo) => {
    const reset = resetTime ? Math.max(0, Math.ceil((resetTime.getTime() - Date.now()) / 1000)) : windowSeconds;
    res.setHeader('RateLimit-Policy', policy);
    res.setHeader('RateLimit', `limit=${limit}, remaining=${Math.max(limit - totalHits, 0)}, reset=${reset}`);
    if (totalHits <= limit) return next();
    res.setHeader('Retry-After', String(reset));
    res.status(429).json({ error: message });
  };
  return (req, res, next) => {
    if (skip?.(req)) return next();
    const client = key(req);
    new Promise<ClientRateLimitInfo>((resolve) => resolve(store.increment(client)))
      .then(
        (info) => counted(res, next, info),
        (err) => (passOnStoreError ? next() : next(err)),
      )
      .catch(next);
  };
}

export const AUTH_RATE_LIMITED = 'Too many authentication attempts. Please try again in a minute.';

/** One budget per client address for the endpoints that guess passwords or send mail, over REST and GraphQL alike. */
export interface AuthRateLimit {
  middleware: RequestHandler;
  /** For transports that are not express routes (GraphQL resolvers): counts one attempt, throws 429 past the limit. */
  consume(clientIp: string | null): Promise<void>;
}

/**
 * `store`: where the counters live (Redis makes every process spend one budget). Should it fail, attempts
 * are counted in this process instead: a store outage must not lift the limit on password guessing.
 */
export function authRateLimit(perMinute: number, store?: Store): AuthRateLimit {
  const counters = store ? withLocalFallback(store) : new MemoryStore();
  // The same key for REST and GraphQL (IPv6 clients by their /56), so both draw on one budget.
  const keyOf = (ip: string) => `auth:${ipKeyGenerator(ip)}`;
  const middleware = fixedWindowLimit({
    windowMs: 60_000,
    limit: perMinute,
    store: counters,
    key: (req) => keyOf(req.ip ?? ''),
    message: AUTH_RATE_LIMITED,
  });
  return {
    middleware,
    async consume(clientIp) {
      const { totalHits } = await counters.increment(keyOf(clientIp ?? ''));
      if (totalHits > perMinute) throw new DomainError('rate_limited', AUTH_RATE_LIMITED);
    },
  };
}

/** A store whose increments fall back to an in-process count while the shared one fails. */
function withLocalFallback(shared: Store): Store {
  const local = new MemoryStore();
  return {
    init(options) {
      shared.init?.(options);
      local.init(options);
    },
    async increment(key) {
      try {
        return await shared.increment(key);
      } catch {
        return local.increment(key);
      }
    },
    decrement: (key) => shared.decrement(key),
    resetKey: (key) => shared.resetKey(key),
  };
}

export const API_RATE_LIMITED = 'Request limit exceeded. Please try again in a minute.';
export const UPLOAD_RATE_LIMITED = 'Too many uploads. Please try again in a minute.';

/** Paths (below /api and /api/v1) that the authentication limit governs instead. */
const AUTH_LIMITED_PATHS = new Set([
  '/auth/login/',
  '/auth/refresh/',
  '/users/request_password_reset/',
  '/users/reset_password/',
]);

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
  perMinute: number,
  message: string,
  { name, store = new MemoryStore(), skip, windowMs = 60_000 }: UserRateLimitOptions,
): UserRateLimit {
  const keyOf = (actor: Pick<Actor, 'userId'> | null | undefined, ip: string | null | undefined) =>
    actor ? `${name}:user:${actor.userId}` : `${name}:ip:${ipKeyGenerator(ip ?? '')}`;
  const middleware = fixedWindowLimit({
    windowMs,
    limit: perMinute,
    store,
    skip,
    message,
    key: (req) => keyOf(req.actor, req.actor ? null : req.ip),
    // A Redis outage should not take the API down with it: requests pass uncounted until it is back.
    passOnStoreError: true,
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
  userRateLimit(perMinute, API_RATE_LIMITED, {
    name: 'api',
    store,
    windowMs,
    skip: (req) => req.baseUrl.startsWith('/api') && AUTH_LIMITED_PATHS.has(req.path),
  });

/** Uploads per user; mounted before the body is parsed, so a refused request costs no upload. */
export const uploadRateLimit = (perMinute: number, store?: Store) =>
  userRateLimit(perMinute, UPLOAD_RATE_LIMITED, { name: 'upload', store }).middleware;
