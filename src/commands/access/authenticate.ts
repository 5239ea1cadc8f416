import { INVALID_TOKEN } from '../../domain/identity/user.js';
import { unauthorized } from '../../domain/shared/errors.js';
import { actorFromClaims, authenticate } from '../identity/authenticate.js';
import type { CommandDeps } from '../shared/deps.js';
import type { Actor } from '../shared/context.js';
import { actorFromApiKey } from './api-keys.js';
import { isKeyToken } from './secrets.js';

/** Who a bearer token speaks for: an API key (`sk_live_...`, `brx_...`) or an access JWT. */
export async function authenticateBearer(deps: CommandDeps, token: string): Promise<Actor> {
  if (isKeyToken(token)) {
    const { keyId: _keyId, ...actor } = await actorFromApiKey(deps.store, token);
    return actor;
  }
  return authenticate(deps.readUser, deps.tokens, token);
}

/** An authenticated connection: who it acts for, and how to ask whether that still holds. */
export interface BearerSession {
  actor: Actor;
  /**
   * The actor as things stand now (current role), or a 401 DomainError once the key was revoked or the
   * user suspended, deleted or re-passworded. The token's signature was checked at the handshake and
   * its expiry is not asked again: an open connection lives on while its holder may still act.
   */
  current(): Promise<Actor>;
}

/** For connections that outlive the request that authenticated them (WebSockets): check again before acting. */
export async function authenticateSession(
  deps: CommandDeps,
  token: string,
  options: { apiKeys?: boolean } = {},
): Promise<BearerSession> {
  let current: () => Promise<Actor>;
  if (isKeyToken(token) && options.apiKeys !== false) {
    current = async () => {
      const { keyId: _keyId, ...actor } = await actorFromApiKey(deps.store, token);
      return actor;
    };
  } else {
    const claims = deps.tokens.verifyAccess(token);
    if (!claims) throw unauthorized(INVALID_TOKEN);
    current = () => actorFromClaims(deps.readUser, claims);
  }
  return { actor: await current(), current };
}
