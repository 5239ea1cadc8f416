import { INVALID_TOKEN } from '../../domain/identity/user.js';
import { unauthorized } from '../../domain/shared/errors.js';
import type { Role } from '../../domain/identity/roles.js';
import type { Actor } from '../shared/context.js';
import type { AccessClaims, TokenService } from './tokens.js';

/** What a token check needs to know of the user it names. */
export interface TokenHolder {
  id: number;
  role: Role;
  suspended: boolean;
  token_version: number;
}

/** Reads a token's user (the composition root answers from the users read model). */
export type ReadTokenHolder = (userId: number) => Promise<TokenHolder | null>;

/**
 * The acting user for verified access-token claims. A token stops working when its user is suspended
 * or deleted, or changed or reset their password after it was issued.
 */
export async function actorFromClaims(readUser: ReadTokenHolder, claims: AccessClaims): Promise<Actor> {
  const user = await readUser(claims.userId);
  if (!user || user.suspended || user.token_version !== claims.tokenVersion) throw unauthorized(INVALID_TOKEN);
  return { type: 'user', userId: user.id, role: user.role };
}

/** For transports that hold a raw bearer token (GraphQL over WebSocket). */
export async function authenticate(readUser: ReadTokenHolder, tokens: TokenService, bearer: string): Promise<Actor> {
  const claims = tokens.verifyAccess(bearer);
  if (!claims) throw unauthorized(INVALID_TOKEN);
  return actorFromClaims(readUser, claims);
}
