import { INVALID_TOKEN } from '../../domain/identity/user.js';
import { unauthorized } from '../../domain/shared/errors.js';
import type { ReadStore } from '../../infra/readstore/port.js';
import { findUser } from '../../projections/users/queries.js';
import type { Actor } from '../shared/context.js';
import type { AccessClaims, TokenService } from './tokens.js';

/**
 * The acting user for verified access-token claims. A token stops working when its user is suspended
 * or deleted, or changed or reset their password after it was issued.
 */
export async function actorFromClaims(db: ReadStore, claims: AccessClaims): Promise<Actor> {
  const user = await findUser(db, claims.userId);
  if (!user || user.suspended || user.token_version !== claims.tokenVersion) throw unauthorized(INVALID_TOKEN);
  return { type: 'user', userId: user.id, role: user.role };
}

/** For transports that hold a raw bearer token (GraphQL over WebSocket). */
export async function authenticate(db: ReadStore, tokens: TokenService, bearer: string): Promise<Actor> {
  const claims = tokens.verifyAccess(bearer);
  if (!claims) throw unauthorized(INVALID_TOKEN);
  return actorFromClaims(db, claims);
}
