import { eraseUser } from '../commands/identity/erase.js';
import type { CommandContext } from '../commands/shared/context.js';
import { otherAdmins } from '../projections/users/queries.js';
import { settled, type TransportDeps } from './deps.js';

/**
 * Erases a user (commands/identity/erase.ts) and answers once the read models are scrubbed and the
 * read store has let go of the bytes they held: what REST and GraphQL both do.
 */
export async function eraseUserAndPurge(deps: TransportDeps, userId: number, ctx: CommandContext): Promise<void> {
  const { position } = await eraseUser(
    { store: deps.store, keys: deps.keys, otherAdmins: (id, excluding) => otherAdmins(deps.db, id, excluding) },
    userId,
    ctx,
  );
  await settled(deps, position);
  await deps.db.purge();
}
