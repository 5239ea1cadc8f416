import { chatDecider } from '../../domain/chats/chat.js';
import { fold } from '../../domain/shared/decider.js';
import { notFound } from '../../domain/shared/errors.js';
import { canSeeWorkspace, workspaceDecider } from '../../domain/workspaces/workspace.js';
import type { EventStore } from '../../infra/eventstore/port.js';
import { type CommandContext, requireActor } from '../shared/context.js';
import { handleCommand } from '../shared/handle.js';
import { parseInput } from '../shared/validation.js';
import { workspaceStream } from '../workspaces/workspaces.js';
import { feedbackInput } from './inputs.js';
import { chatStreamName } from './send.js';

/** Rates a chat: one's own, or any for an admin. A chat in a workspace the actor cannot see does not exist for them. */
export async function giveFeedback(store: EventStore, rawInput: unknown, ctx: CommandContext) {
  const actor = requireActor(ctx);
  const input = parseInput(feedbackInput, rawInput);
  const stream = chatStreamName(input.chat_id);
  const result = await handleCommand(
    store,
    stream,
    chatDecider,
    async (chat) => {
      if (chat.status === 'none') throw notFound();
      const workspace = fold(workspaceDecider, (await store.readStream(workspaceStream(chat.workspaceId))) as never);
      if (!canSeeWorkspace(actor, workspace)) throw notFound();
      return {
        type: 'GiveFeedback' as const,
        actor,
        feedback: input.feedback,
        comment: input.comment ?? null,
        now: ctx.now,
      };
    },
    ctx,
  );
  return { chatId: input.chat_id, position: result.position };
}
