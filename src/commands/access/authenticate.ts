import { authenticate } from '../identity/authenticate.js';
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
  return authenticate(deps.db, deps.tokens, token);
}
