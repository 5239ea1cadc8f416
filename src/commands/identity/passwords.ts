import { passwordProblems } from '../../domain/identity/password-policy.js';
import { userDecider } from '../../domain/identity/user.js';
import { fieldError, invalid } from '../../domain/shared/errors.js';
import type { EventStore } from '../../infra/eventstore/port.js';
import { attributedTo, type CommandContext, requireActor } from '../shared/context.js';
import { eventId } from '../shared/event-ids.js';
import { handleCommand } from '../shared/handle.js';
import { ownerOf } from '../shared/reservation.js';
import { parseInput } from '../shared/validation.js';
import { hashPassword, verifyPassword } from './hashing.js';
import { changePasswordInput, requestResetInput, resetPasswordInput } from './inputs.js';
import { userStream, usernameStream } from './register.js';
import { sha256, type TokenService } from './tokens.js';

function checkPolicy(password: string, username: string) {
  const problems = passwordProblems(password, username);
  if (problems.length) throw invalid('Validation failed.', { new_password: problems });
}

/** Changing the password ends every session and invalidates every token issued before. */
export async function changePassword(store: EventStore, rawInput: unknown, ctx: CommandContext) {
  const actor = requireActor(ctx);
  const input = parseInput(changePasswordInput, rawInput);
  return handleCommand(
    store,
    userStream(actor.userId),
    userDecider,
    async (state) => {
      if (state.status === 'active') checkPolicy(input.new_password, state.username);
      return {
        type: 'ChangePassword' as const,
        oldPasswordMatches: state.status === 'active' && (await verifyPassword(state.passwordHash, input.old_password)),
        passwordHash: await hashPassword(input.new_password),
        now: ctx.now,
      };
    },
    ctx,
  );
}

/**
 * Records a reset request for an existing user; the mail reactor sends the token. Answers the same
 * whether or not the user exists, so the endpoint cannot be used to probe for accounts.
 */
export async function requestPasswordReset(
  store: EventStore,
  tokens: TokenService,
  rawInput: unknown,
  ctx: CommandContext,
) {
  const { username } = parseInput(requestResetInput, rawInput);
  const owner = await ownerOf(store, usernameStream(username));
  if (!owner) return { position: 0 };
  const userId = Number(owner);
  const stream = userStream(userId);
  const actorCtx = attributedTo(ctx, userId);
  const result = await handleCommand(
    store,
    stream,
    userDecider,
    () => {
      // The token is derived from the id this event will get: the event stores only its hash.
      const token = tokens.passwordResetToken(userId, eventId(actorCtx.commandId, stream, 0));
      return {
        type: 'RequestPasswordReset' as const,
        tokenHash: sha256(token),
        expiresAt: new Date(ctx.now.getTime() + tokens.ttls.passwordResetSeconds * 1000),
        now: ctx.now,
      };
    },
    actorCtx,
  ).catch((err) => {
    // A deleted user cannot reset; say nothing more than for an unknown one.
    if (err?.kind === 'not_found') return { position: 0 };
    throw err;
  });
  return { position: result.position };
}

/** Uses a reset token once: it and every other outstanding token for the user die with the reset. */
export async function resetPassword(store: EventStore, rawInput: unknown, ctx: CommandContext) {
  const input = parseInput(resetPasswordInput, rawInput);
  const userId = Number(input.token.split('.')[0]);
  if (!Number.isInteger(userId) || userId < 1) throw fieldError('token', 'Invalid or expired reset token.');
  const actorCtx = attributedTo(ctx, userId);
  return handleCommand(
    store,
    userStream(userId),
    userDecider,
    async (state) => {
      if (state.status !== 'active') throw fieldError('token', 'Invalid or expired reset token.');
      checkPolicy(input.new_password, state.username);
      return {
        type: 'ResetPassword' as const,
        tokenHash: sha256(input.token),
        passwordHash: await hashPassword(input.new_password),
        now: ctx.now,
      };
    },
    actorCtx,
  );
}
