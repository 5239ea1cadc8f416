import { userSubject } from '../../domain/shared/personal-data.js';
import { userDecider } from '../../domain/identity/user.js';
import { forbidden } from '../../domain/shared/errors.js';
import type { EventStore } from '../../infra/eventstore/port.js';
import type { KeyStore } from '../../infra/keystore/port.js';
import { type CommandContext, requireActor } from '../shared/context.js';
import { handleCommand } from '../shared/handle.js';
import { release } from '../shared/reservation.js';
import { emailStream, userStream, usernameStream } from './register.js';

export interface ErasureDeps {
  store: EventStore;
  keys: KeyStore;
  /** Active admins other than `userId`, as the users read model counts them. */
  otherAdmins: (userId: number) => Promise<number>;
}

/**
 * Erases a user by crypto-shredding: records UserErased, frees the username and email, then destroys
 * the user's key, after which their personal data in every event reads "[erased]". The key goes last:
 * the reservations to release are named by the username and email, read from the user's events. Asked
 * again for an erased user, it records nothing and redoes the rest (each step is idempotent), so an
 * erasure interrupted before its key was destroyed is finished by asking again.
 */
export async function eraseUser(deps: ErasureDeps, userId: number, ctx: CommandContext) {
  const actor = requireActor(ctx);
  if (actor.role !== 'admin') throw forbidden();
  const otherAdmins = await deps.otherAdmins(userId);
  const result = await handleCommand(
    deps.store,
    userStream(userId),
    userDecider,
    { type: 'EraseUser', actorRole: actor.role, otherAdmins, now: ctx.now },
    ctx,
  );
  const { state } = result;
  if (state.status !== 'none') {
    await release(deps.store, usernameStream(state.username), String(userId), ctx);
    await release(deps.store, emailStream(state.email), String(userId), ctx);
  }
  await deps.keys.destroy(userSubject(userId));
  return result;
}
