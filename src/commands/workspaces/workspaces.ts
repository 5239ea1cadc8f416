import { isPrivileged } from '../../domain/identity/roles.js';
import { userDecider } from '../../domain/identity/user.js';
import { fieldError, forbidden, notFound } from '../../domain/shared/errors.js';
import { DEFAULT_WORKSPACE_SETTINGS, slugCandidate, slugify } from '../../domain/workspaces/settings.js';
import { canSeeWorkspace, workspaceDecider, type WorkspaceState } from '../../domain/workspaces/workspace.js';
import type { EventStore } from '../../infra/eventstore/port.js';
import { userStream } from '../identity/register.js';
import { type Actor, type CommandContext, requireActor } from '../shared/context.js';
import { currentState } from '../shared/current-state.js';
import { handleCommand } from '../shared/handle.js';
import { ownerOf, release, reservationStream, reserve } from '../shared/reservation.js';
import { nextId } from '../shared/sequence.js';
import { parseInput } from '../shared/validation.js';
import { createWorkspaceInput, memberInput, toChanges, updateWorkspaceInput } from './inputs.js';

export const workspaceStream = (id: number) => `workspace-${id}`;
const slugStream = (slug: string) => reservationStream('slug', slug);
const MAX_SLUG_ATTEMPTS = 100;

/** The workspace a slug names, read from the write side, and whether the actor may see it (404 if not). */
export async function loadWorkspace(store: EventStore, slug: string, actor: Actor) {
  const owner = await ownerOf(store, slugStream(slug));
  if (!owner) throw notFound();
  const workspaceId = Number(owner);
  const state: WorkspaceState = await currentState(store, workspaceStream(workspaceId), workspaceDecider);
  if (!canSeeWorkspace(actor, state)) throw notFound();
  return { workspaceId, state: state as Extract<WorkspaceState, { status: 'active' | 'deleted' }> };
}

/** Creates a workspace with a slug from its name; `-2`, `-3`... when that slug is taken. */
export async function createWorkspace(store: EventStore, rawInput: unknown, ctx: CommandContext) {
  const actor = requireActor(ctx);
  if (!isPrivileged(actor.role)) throw forbidden();
  const input = parseInput(createWorkspaceInput, rawInput);
  const { name, ...settings } = toChanges(input);
  const workspaceId = await nextId(store, 'workspace', ctx);
  const base = slugify(name!);
  let slug: string | null = null;
  for (let attempt = 0; attempt < MAX_SLUG_ATTEMPTS && !slug; attempt++) {
    const candidate = slugCandidate(base, attempt);
    if (await reserve(store, slugStream(candidate), String(workspaceId), ctx)) slug = candidate;
  }
  if (!slug) throw fieldError('name', 'Too many workspaces share this name.');
  try {
    const result = await handleCommand(
      store,
      workspaceStream(workspaceId),
      workspaceDecider,
      {
        type: 'CreateWorkspace',
        actor,
        workspaceId,
        name: name!,
        slug,
        settings: { ...DEFAULT_WORKSPACE_SETTINGS, ...settings },
        now: ctx.now,
      },
      ctx,
    );
    return { workspaceId, slug, position: result.position };
  } catch (err) {
    await release(store, slugStream(slug), String(workspaceId), ctx);
    throw err;
  }
}

export async function updateWorkspace(store: EventStore, slug: string, rawInput: unknown, ctx: CommandContext) {
  const actor = requireActor(ctx);
  const { workspaceId } = await loadWorkspace(store, slug, actor);
  const changes = toChanges(parseInput(updateWorkspaceInput, rawInput));
  const result = await handleCommand(
    store,
    workspaceStream(workspaceId),
    workspaceDecider,
    { type: 'UpdateWorkspace', actor, changes, now: ctx.now },
    ctx,
  );
  return { workspaceId, position: result.position };
}

/** Deletes the workspace and frees its slug. */
export async function deleteWorkspace(store: EventStore, slug: string, ctx: CommandContext) {
  const actor = requireActor(ctx);
  const { workspaceId } = await loadWorkspace(store, slug, actor);
  const result = await handleCommand(
    store,
    workspaceStream(workspaceId),
    workspaceDecider,
    { type: 'DeleteWorkspace', actor, now: ctx.now },
    ctx,
  );
  if (result.events.length) await release(store, slugStream(slug), String(workspaceId), ctx);
  return { workspaceId, position: result.position };
}

/** Adds an existing, active user to the workspace (admins and managers only). */
export async function addWorkspaceMember(store: EventStore, slug: string, rawInput: unknown, ctx: CommandContext) {
  const actor = requireActor(ctx);
  const { workspaceId } = await loadWorkspace(store, slug, actor);
  const { user_id: userId } = parseInput(memberInput, rawInput);
  if (!isPrivileged(actor.role)) throw forbidden();
  const user = await currentState(store, userStream(userId), userDecider);
  if (user.status !== 'active') throw fieldError('user_id', `User ${userId} does not exist.`);
  const result = await handleCommand(
    store,
    workspaceStream(workspaceId),
    workspaceDecider,
    { type: 'AddMember', actor, userId, now: ctx.now },
    ctx,
  );
  return { workspaceId, position: result.position };
}

export async function removeWorkspaceMember(store: EventStore, slug: string, rawInput: unknown, ctx: CommandContext) {
  const actor = requireActor(ctx);
  const { workspaceId } = await loadWorkspace(store, slug, actor);
  const { user_id: userId } = parseInput(memberInput, rawInput);
  const result = await handleCommand(
    store,
    workspaceStream(workspaceId),
    workspaceDecider,
    { type: 'RemoveMember', actor, userId, now: ctx.now },
    ctx,
  );
  return { workspaceId, position: result.position };
}
