import type { Request, RequestHandler } from 'express';
import { ExtractJwt, Strategy as JwtStrategy } from 'passport-jwt';
import { actorFromApiKey } from '../commands/access/api-keys.js';
import { isKeyToken } from '../commands/access/secrets.js';
import { actorFromClaims } from '../commands/identity/authenticate.js';
import { type AccessClaims, TokenService } from '../commands/identity/tokens.js';
import { type Actor, NO_CREDENTIALS } from '../commands/shared/context.js';
import type { CommandDeps } from '../commands/shared/deps.js';
import { INVALID_TOKEN } from '../domain/identity/user.js';
import { DomainError, forbidden, unauthorized } from '../domain/shared/errors.js';
import type { Role } from '../domain/identity/roles.js';
import { isPublicOperation } from './public-operations.js';

/**
 * passport-jwt checks signature and expiry; the claims then have to name a user who may still act.
 * The strategy is run through Passport's strategy protocol directly (a per-request object given
 * success/fail/error, as passport.authenticate builds it): passport's own per-request machinery
 * (its multi-strategy chain, request augmentation) cost more than the verification itself and adds
 * nothing for one stateless strategy. An API key (`Bearer sk_live_...`) is checked against the event
 * store instead, so revoking it or suspending its user takes effect on the very next request.
 */
export function authenticator({ store, readUser, tokens }: CommandDeps): RequestHandler {
  const verified = new VerifiedTokens();
  const strategy = new JwtStrategy(
    {
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      secretOrKey: tokens.verificationKey as unknown as string, // a KeyObject: jsonwebtoken takes one, the typings do not say so
      algorithms: ['HS256'],
      passReqToCallback: true,
    },
    (req: Request, payload: unknown, done: (err: unknown, actor?: Actor | false) => void) => {
      const claims = TokenService.accessClaims(payload);
      if (!claims) return done(null, false);
      const bearer = bearerOf(req.headers.authorization);
      if (bearer) verified.add(bearer, claims, payload as { exp?: unknown; nbf?: unknown });
      actorFromClaims(readUser, claims).then(
        (actor) => done(null, actor),
        (err) => (err instanceof DomainError ? done(null, false) : done(err)),
      );
    },
  );

  // Resolves req.actor when an Authorization header is present; a bad one is refused, none is left to the route.
  // A public operation ignores a bad or stale token as it ignores a missing one: a client with a leftover
  // header can still log in, register or chat through an embed (a good token still names the actor).
  return (req, _res, next) => {
    const header = req.headers.authorization;
    if (!header) return next();
    const refuse = () => next(isPublicOperation(req.method, req.path) ? undefined : unauthorized(INVALID_TOKEN));
    const bearer = bearerOf(header);
    if (!bearer) return refuse();
    if (isKeyToken(bearer)) {
      actorFromApiKey(store, bearer).then(
        ({ keyId: _keyId, ...actor }) => {
          req.actor = actor;
          next();
        },
        (err) => (err instanceof DomainError ? refuse() : next(err)),
      );
      return;
    }
    // A token passport-jwt already accepted skips the signature check; the user is looked up as always.
    const claims = verified.get(bearer, Date.now());
    if (claims) {
      actorFromClaims(readUser, claims).then(
        (actor) => {
          req.actor = actor;
          next();
        },
        (err) => (err instanceof DomainError ? refuse() : next(err)),
      );
      return;
    }
    const attempt = Object.create(strategy) as StrategyRun;
    attempt.success = (actor) => {
      req.actor = actor;
      next();
    };
    attempt.fail = refuse;
    attempt.error = (err) => next(err);
    attempt.authenticate(req, { session: false });
  };
}

const bearerOf = (header: string | undefined) => (header ? /^Bearer\s+(\S+)$/i.exec(header)?.[1] : undefined);

/**
 * Access tokens whose signature and expiry passport-jwt has checked, by the token itself: a client sends the
 * same token with every request until it expires, and checking its HMAC again cost ~30-45 µs of a ~1 ms list
 * read. Only what the signature vouches for is kept (the claims, until `exp`); whether the user may still act
 * (suspension, a password change) is looked up on every request, as before. Bounded: the oldest entry goes
 * first.
 */
export class VerifiedTokens {
  private readonly byToken = new Map<string, { claims: AccessClaims; expiresAtMs: number }>();

  constructor(private readonly max = 10_000) {}

  get(token: string, nowMs: number): AccessClaims | undefined {
    const entry = this.byToken.get(token);
    if (!entry) return undefined;
    // jsonwebtoken refuses a token once floor(now / 1000) >= exp.
    if (nowMs >= entry.expiresAtMs) {
      this.byToken.delete(token);
      return undefined;
    }
    return entry.claims;
  }

  /** Kept only with a numeric `exp` and no `nbf` (which would need checking again); ours always have the one and never the other. */
  add(token: string, claims: AccessClaims, payload: { exp?: unknown; nbf?: unknown }): void {
    if (typeof payload.exp !== 'number' || payload.nbf !== undefined) return;
    if (this.byToken.size >= this.max) this.byToken.delete(this.byToken.keys().next().value!);
    this.byToken.set(token, { claims, expiresAtMs: payload.exp * 1000 });
  }

  get size(): number {
    return this.byToken.size;
  }
}

/** What Passport gives a strategy for one request (passport-strategy's protocol). */
interface StrategyRun {
  authenticate(req: unknown, options: object): void;
  success(actor: Actor): void;
  fail(): void;
  error(err: unknown): void;
}

export const requireAuth: RequestHandler = (req, _res, next) =>
  next(req.actor ? undefined : unauthorized(NO_CREDENTIALS));

export const requireRole =
  (...roles: Role[]): RequestHandler =>
  (req, _res, next) => {
    if (!req.actor) return next(unauthorized(NO_CREDENTIALS));
    next(roles.includes(req.actor.role) ? undefined : forbidden());
  };
