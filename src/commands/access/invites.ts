import { INVITE_UNUSABLE, inviteDecider } from '../../domain/access/invite.js';
import { passwordProblems } from '../../domain/identity/password-policy.js';
import { isPrivileged } from '../../domain/identity/roles.js';
import { conflict, fieldError, forbidden, invalid } from '../../domain/shared/errors.js';
import { workspaceDecider } from '../../domain/workspaces/workspace.js';
import type { EventStore } from '../../infra/eventstore/port.js';
import { openAccount } from '../identity/register.js';
import { attributedTo, type CommandContext, requireActor } from '../shared/context.js';
import { currentState } from '../shared/current-state.js';
import { handleCommand } from '../shared/handle.js';
import { ownerOf, reservationStream, reserve } from '../shared/reservation.js';
import { nextId } from '../shared/sequence.js';
import { parseInput } from '../shared/validation.js';
import { workspaceStream } from '../workspaces/workspaces.js';
import { claimInviteInput, createInviteInput } from './inputs.js';
import { newInviteCode } from './secrets.js';

export const inviteStream = (inviteId: number) => `invite-${inviteId}`;
const codeStream = (code: string) => reservationStream('invitecode', code);

/** An invite for new users, to join the given workspaces (each must exist now). Admins and managers only. */
export async function createInvite(store: EventStore, rawInput: unknown, ctx: CommandContext) {
  const actor = requireActor(ctx);
  if (!isPrivileged(actor.role)) throw forbidden();
  const { workspace_ids: workspaceIds } = parseInput(createInviteInput, rawInput);
  const missing = [];
  for (const id of new Set(workspaceIds)) {
    if ((await currentState(store, workspaceStream(id), workspaceDecider)).status !== 'active') missing.push(id);
  }
  if (missing.length) throw fieldError('workspace_ids', `Workspace(s) ${missing.join(', ')} do not exist.`);
  const inviteId = await nextId(store, 'invite', ctx);
  const code = newInviteCode();
  if (!(await reserve(store, codeStream(code), String(inviteId), ctx))) throw conflict('Please retry.');
  const result = await handleCommand(
    store,
    inviteStream(inviteId),
    inviteDecider,
    {
      type: 'CreateInvite',
      actor,
      inviteId,
      code,
      workspaceIds,
      now: ctx.now,
    },
    ctx,
  );
  return { inviteId, position: result.position };
}

export async function disableInvite(store: EventStore, inviteId: number, ctx: CommandContext) {
  const actor = requireActor(ctx);
  const result = await handleCommand(
    store,
    inviteStream(inviteId),
    inviteDecider,
    { type: 'DisableInvite', actor, now: ctx.now },
    ctx,
  );
  return { inviteId, position: result.position };
}

/**
 * Creates a `default` user from an invite and adds it to the invite's workspaces. The username and email
 * are reserved first, then the invite is used at the revision it was read at, and only then is the user
 * recorded: of concurrent claims exactly one uses the invite, and a claim that fails on the way (a taken
 * username, a lost race) releases its reservations, leaving the code usable and no user behind.
 */
export async function claimInvite(store: EventStore, rawInput: unknown, ctx: CommandContext) {
  const input = parseInput(claimInviteInput, rawInput);
  const problems = passwordProblems(input.password, input.username);
  if (problems.length) throw invalid('Validation failed.', { password: problems });
  if (!/^[A-Za-z0-9]+$/.test(input.code)) throw fieldError('code', INVITE_UNUSABLE);
  const owner = await ownerOf(store, codeStream(input.code));
  if (!owner) throw fieldError('code', INVITE_UNUSABLE);
  const inviteId = Number(owner);
  const invite = await currentState(store, inviteStream(inviteId), inviteDecider);
  // Refused before anything is written; the accept below still decides when claims race.
  if (invite.status !== 'pending') throw fieldError('code', INVITE_UNUSABLE);

  const { userId, position: registered } = await openAccount(store, input, ctx, {
    role: 'default',
    beforeRecord: async (newUserId) => {
      await handleCommand(
        store,
        inviteStream(inviteId),
        inviteDecider,
        {
          type: 'AcceptInvite',
          userId: newUserId,
          username: input.username,
          now: ctx.now,
        },
        attributedTo(ctx, newUserId),
      );
    },
  });
  let position = registered;
  const asNewUser = attributedTo(ctx, userId);
  // The inviter's grant, carried out for the new user; a workspace deleted since the invite is skipped.
  for (const workspaceId of invite.workspaceIds) {
    try {
      const added = await handleCommand(
        store,
        workspaceStream(workspaceId),
        workspaceDecider,
        {
          type: 'AddMember',
          actor: { userId: invite.createdBy, role: 'admin' },
          userId,
          now: ctx.now,
        },
        asNewUser,
      );
      position = Math.max(position, added.position);
    } catch (err) {
      if ((err as { kind?: string }).kind !== 'not_found') throw err;
    }
  }
  return { userId, inviteId, position };
}
