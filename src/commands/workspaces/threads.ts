import { slugify } from '../../domain/workspaces/settings.js';
import { threadDecider } from '../../domain/workspaces/thread.js';
import { notFound } from '../../domain/shared/errors.js';
import type { EventStore } from '../../infra/eventstore/port.js';
import { type CommandContext, requireActor } from '../shared/context.js';
import { handleCommand } from '../shared/handle.js';
import { nextId } from '../shared/sequence.js';
import { parseInput } from '../shared/validation.js';
import { renameThreadInput, threadInput } from './inputs.js';
import { loadWorkspace } from './workspaces.js';

export const threadStream = (id: number) => `thread-${id}`;

/** Any member may open a thread in a workspace they can see. */
export async function createThread(store: EventStore, slug: string, rawInput: unknown, ctx: CommandContext) {
  const actor = requireActor(ctx);
  const { workspaceId, state } = await loadWorkspace(store, slug, actor);
  if (state.status !== 'active') throw notFound();
  const name = parseInput(threadInput, rawInput).name ?? 'New thread';
  const threadId = await nextId(store, 'thread', ctx);
  const result = await handleCommand(
    store,
    threadStream(threadId),
    threadDecider,
    {
      type: 'CreateThread',
      actor,
      threadId,
      workspaceId,
      name,
      slug: `${slugify(name)}-${threadId}`,
      now: ctx.now,
    },
    ctx,
  );
  return { threadId, position: result.position };
}

export async function renameThread(
  store: EventStore,
  slug: string,
  threadId: number,
  rawInput: unknown,
  ctx: CommandContext,
) {
  const actor = requireActor(ctx);
  const { workspaceId } = await loadWorkspace(store, slug, actor);
  const { name } = parseInput(renameThreadInput, rawInput);
  const result = await handleCommand(
    store,
    threadStream(threadId),
    threadDecider,
    { type: 'RenameThread', actor, workspaceId, name, now: ctx.now },
    ctx,
  );
  return { threadId, position: result.position };
}

export async function deleteThread(store: EventStore, slug: string, threadId: number, ctx: CommandContext) {
  const actor = requireActor(ctx);
  const { workspaceId } = await loadWorkspace(store, slug, actor);
  const result = await handleCommand(
    store,
    threadStream(threadId),
    threadDecider,
    { type: 'DeleteThread', actor, workspaceId, now: ctx.now },
    ctx,
  );
  return { threadId, position: result.position };
}
