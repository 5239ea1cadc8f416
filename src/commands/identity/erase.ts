import { randomUUID } from 'node:crypto';
import { userSubject } from '../../domain/shared/personal-data.js';
import { type UserState, userDecider } from '../../domain/identity/user.js';
import { forbidden } from '../../domain/shared/errors.js';
import type { EventStore } from '../../infra/eventstore/port.js';
import type { KeyStore } from '../../infra/keystore/port.js';
import { type CommandContext, metadataFor, requireActor } from '../shared/context.js';
import { handleCommand } from '../shared/handle.js';
import { release } from '../shared/reservation.js';
import { emailStream, userStream, usernameStream } from './register.js';

export interface ErasureDeps {
  store: EventStore;
  keys: KeyStore;
  /** Active admins other than `userId` and those `excluding`, as the users read model counts them. */
  otherAdmins: (userId: number, excluding: readonly number[]) => Promise<number>;
}

/**
 * Every erasure of an admin is recorded here first, at the exact revision read, before the user's own
 * UserErased: of two erasures decided at once (two admins erasing each other), the second one's record
 * is refused, and it decides again counting the first one's admin as gone, before the read model shows it.
 */
export const ADMIN_ERASURES = 'admin-erasures';

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
  const result = await handleCommand(
    deps.store,
    userStream(userId),
    userDecider,
    async (target: UserState) => ({
      type: 'EraseUser' as const,
      actorRole: actor.role,
      otherAdmins: await otherAdminsFor(deps, target, ctx),
      now: ctx.now,
    }),
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

/**
 * The other admins that erasing `target` leaves; for an admin about to be erased, its erasure is recorded
 * in ADMIN_ERASURES at the revision the count was made on (a ConcurrencyError has the command decided
 * again). Only the erasure of an active admin needs another admin: others are not counted.
 */
async function otherAdminsFor(deps: ErasureDeps, target: UserState, ctx: CommandContext): Promise<number> {
  if (target.status !== 'active' || target.role !== 'admin') return 0;
  const recorded = await deps.store.readStream(ADMIN_ERASURES);
  const others = await deps.otherAdmins(
    target.userId,
    recorded.map((e) => e.data.userId as number),
  );
  if (others < 1) return others; // refused by the decider: nothing to record
  const event = {
    id: randomUUID(),
    type: 'AdminErasureDecided',
    data: { userId: target.userId },
    metadata: metadataFor(ctx),
  };
  await deps.store.appendToStream(ADMIN_ERASURES, [event], recorded.at(-1)?.revision ?? 'no_stream');
  return others;
}
