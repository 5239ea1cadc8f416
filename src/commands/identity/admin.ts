import { isPrivileged } from '../../domain/identity/roles.js';
import { userDecider } from '../../domain/identity/user.js';
import { forbidden } from '../../domain/shared/errors.js';
import type { EventStore } from '../../infra/eventstore/port.js';
import type { CommandContext } from '../shared/context.js';
import { handleCommand } from '../shared/handle.js';
import { release } from '../shared/reservation.js';
import { parseInput } from '../shared/validation.js';
import { updateUserInput } from './inputs.js';
import { emailStream, userStream, usernameStream } from './register.js';

function requireManager(ctx: CommandContext) {
  if (!ctx.actor || !isPrivileged(ctx.actor.role)) throw forbidden();
  return ctx.actor;
}

/** Role, suspension and daily message limit; admins manage everyone, managers only default users. */
export async function updateUser(store: EventStore, userId: number, rawInput: unknown, ctx: CommandContext) {
  const actor = requireManager(ctx);
  const input = parseInput(updateUserInput, rawInput);
  return handleCommand(
    store,
    userStream(userId),
    userDecider,
    {
      type: 'UpdateUser',
      actorRole: actor.role,
      actorId: actor.userId,
      now: ctx.now,
      changes: { role: input.role, suspended: input.suspended, dailyMessageLimit: input.daily_message_limit },
    },
    ctx,
  );
}

/** Deletes a user and frees their username and email for someone else. */
export async function deleteUser(store: EventStore, userId: number, ctx: CommandContext) {
  const actor = requireManager(ctx);
  const result = await handleCommand(
    store,
    userStream(userId),
    userDecider,
    {
      type: 'DeleteUser',
      actorRole: actor.role,
      actorId: actor.userId,
      now: ctx.now,
    },
    ctx,
  );
  const deleted = result.events.find((e) => e.type === 'UserDeleted');
  if (deleted?.type === 'UserDeleted') {
    await release(store, usernameStream(deleted.data.username), String(userId), ctx);
    await release(store, emailStream(deleted.data.email), String(userId), ctx);
  }
  return result;
}
