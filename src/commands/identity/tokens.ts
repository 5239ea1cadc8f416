import { createHash, createHmac, createSecretKey, type KeyObject, randomUUID } from 'node:crypto';
import jwt from 'jsonwebtoken';

export interface AccessClaims {
  userId: number;
  tokenVersion: number;
}
export interface RefreshClaims extends AccessClaims {
  sessionId: string;
  tokenId: string;
}

export interface TokenTtls {
  accessSeconds: number;
  refreshSeconds: number;
  passwordResetSeconds: number;
}

/** Signs and checks the JWTs the API hands out, and derives password-reset tokens. */
export class TokenService {
  /** As a KeyObject: given a string, jsonwebtoken first tries (and fails) to read it as a public key, every time. */
  private readonly key: KeyObject;

  constructor(
    private readonly secret: string,
    readonly ttls: TokenTtls,
  ) {
    this.key = createSecretKey(Buffer.from(secret, 'utf8'));
  }

  issue(userId: number, tokenVersion: number, sessionId: string, refreshTokenId: string) {
    const sub = String(userId);
    const access = jwt.sign({ typ: 'access', ver: tokenVersion }, this.key, {
      subject: sub,
      expiresIn: this.ttls.accessSeconds,
      jwtid: randomUUID(),
      algorithm: 'HS256',
    });
    const refresh = jwt.sign({ typ: 'refresh', ver: tokenVersion, sid: sessionId }, this.key, {
      subject: sub,
      expiresIn: this.ttls.refreshSeconds,
      jwtid: refreshTokenId,
      algorithm: 'HS256',
    });
    return { access, refresh };
  }

  verifyAccess(token: string): AccessClaims | null {
    const claims = this.verify(token, 'access');
    return claims && { userId: Number(claims.sub), tokenVersion: claims.ver };
  }

  /** Access claims from a payload whose signature was already checked (by passport-jwt). */
  static accessClaims(payload: unknown): AccessClaims | null {
    const p = payload as { typ?: unknown; sub?: unknown; ver?: unknown; exp?: unknown } | null;
    if (!p || p.typ !== 'access' || !expires(p) || !Number.isInteger(Number(p.sub)) || !Number.isInteger(p.ver))
      return null;
    return { userId: Number(p.sub), tokenVersion: p.ver as number };
  }

  get verificationKey(): KeyObject {
    return this.key;
  }

  verifyRefresh(token: string): RefreshClaims | null {
    const claims = this.verify(token, 'refresh');
    if (!claims || typeof claims.sid !== 'string' || typeof claims.jti !== 'string') return null;
    return { userId: Number(claims.sub), tokenVersion: claims.ver, sessionId: claims.sid, tokenId: claims.jti };
  }

  /** The reset token is derived from the id of the event that records it, so the event holds only its hash
   * and the mail reactor can re-derive it; `<userId>.` in front tells the reset which user it is for. */
  passwordResetToken(userId: number, eventId: string): string {
    return `${userId}.${createHmac('sha256', this.secret).update(`password-reset|${eventId}`).digest('base64url')}`;
  }

  /**
   * What the log keeps of a username that no account holds: people type passwords into the username box,
   * so never the text itself. A keyed digest (HMAC-SHA-256, 128 bits) of its normalised form (NFKC, trimmed,
   * lower-case, as usernames are reserved) still lets an auditor count attempts per name and, holding the
   * key, check whether a given name was tried; without the key it cannot be reversed by guessing.
   */
  attemptedUsernameDigest(username: string): string {
    const normalised = username.normalize('NFKC').trim().toLowerCase();
    return createHmac('sha256', this.secret)
      .update(`failed-login-username|${normalised}`)
      .digest('base64url')
      .slice(0, 22);
  }

  private verify(token: string, typ: 'access' | 'refresh'): (jwt.JwtPayload & { ver: number }) | null {
    try {
      const claims = jwt.verify(token, this.key, { algorithms: ['HS256'] });
      if (
        typeof claims !== 'object' ||
        claims.typ !== typ ||
        !expires(claims) ||
        !Number.isInteger(Number(claims.sub)) ||
        !Number.isInteger(claims.ver)
      )
        return null;
      return claims as jwt.JwtPayload & { ver: number };
    } catch {
      return null;
    }
  }
}

/**
 * jsonwebtoken checks `exp` only when it is there: a token without one, however it was signed (a leaked
 * secret, another service sharing it), would never expire. Every token this service issues has one.
 */
const expires = (claims: { exp?: unknown }) => typeof claims.exp === 'number' && Number.isFinite(claims.exp);

export const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');
