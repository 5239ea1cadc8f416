import { GraphQLError } from 'graphql';
import { Arg, Ctx, ID, Int, Mutation, Query, Resolver, Root, Subscription } from 'type-graphql';
import { giveFeedback } from '../../commands/chats/feedback.js';
import { ChatFailure, INTERNAL_FAILURE, startChat } from '../../commands/chats/send.js';
import { notFound } from '../../domain/shared/errors.js';
import type { Filter } from '../../infra/readstore/port.js';
import {
  chatHistory,
  findVisibleChat,
  listChats,
  SEARCH_FIELDS,
  type SearchField,
  searchChats,
} from '../../projections/chats/queries.js';
import { containsAny } from '../../projections/shared/search.js';
import { findWorkspaceById, findWorkspaceBySlug } from '../../projections/workspaces/queries.js';
import { exportChats } from '../../transport/chat-export/export-chats.js';
import { invalid } from '../../domain/shared/errors.js';
import { commandContextOf, type GraphQLContext, requireActor } from '../context.js';
import { CHAT_COMPLEXITY, EXPORT_COMPLEXITY, listComplexity, searchListComplexity } from '../limits.js';
import { DateTime } from '../shared/scalars.js';
import { type ChatStreamMessage, chatStreamChannel, openChatStream } from './channel.js';
import { Chat, ChatExport, ChatStreamEvent, SendChatInput } from './types.js';
import { AS_OF_DESCRIPTION, AsOf, readsAsOf } from '../shared/as-of.js';
import { pastChatsOf } from '../../projections/time-travel/reads.js';

const window = (limit?: number | null, offset?: number | null) => ({
  skip: Math.max(0, offset ?? 0),
  ...(limit ? { limit: Math.min(Math.max(1, limit), 1000) } : {}),
});
const optionalId = (id: string | null | undefined) => (id === null || id === undefined ? undefined : Number(id));

/**
 * The stream's messages while `visible()` holds, asked at each answer's `start`; once it fails the
 * subscription completes (a plain iterator, so ending a subscription unsubscribes at once).
 */
function whileVisible(
  stream: AsyncIterableIterator<unknown>,
  visible: () => Promise<boolean>,
): AsyncIterableIterator<unknown> {
  const iterator: AsyncIterableIterator<unknown> = {
    async next() {
      const result = await stream.next();
      if (!result.done && (result.value as { type?: string }).type === 'start' && !(await visible())) {
        await stream.return?.();
        return { value: undefined, done: true };
      }
      return result;
    },
    return: () => stream.return!(),
    [Symbol.asyncIterator]: () => iterator,
  };
  return iterator;
}

/** GraphQL twin of the Chats App: sendChat streams its tokens to chatStream subscribers and returns the completed chat. */
@Resolver(() => Chat)
export class ChatResolver {
  @Mutation(() => Chat, {
    complexity: CHAT_COMPLEXITY,
    description: 'Answers the message; its tokens go to chatStream(workspaceSlug) meanwhile.',
  })
  async sendChat(@Ctx() ctx: GraphQLContext, @Arg('input', () => SendChatInput) input: SendChatInput): Promise<Chat> {
    const actor = requireActor(ctx);
    const started = await startChat(
      ctx.deps,
      {
        message: input.message,
        workspace_slug: input.workspaceSlug,
        mode: input.mode,
        thread_id: optionalId(input.threadId),
        attachments: input.attachments?.map((a) => ({ ...a })),
      },
      commandContextOf(ctx),
    );
    const channel = chatStreamChannel(started.workspaceId);
    const base = { chatId: started.chatId, userId: actor.userId };
    // Published in order on one connection; a subscriber that missed one learns nothing wrong, only less.
    const publish = (message: ChatStreamMessage) => ctx.deps.pubsub.publish(channel, message).catch(() => {});
    void publish({ ...base, type: 'start' });
    try {
      const answer = await started.answer((token) => void publish({ ...base, type: 'token', token }), ctx.signal);
      await ctx.deps.progress.settle(answer.position);
      void publish({ ...base, type: 'complete' });
      const chat = await findVisibleChat(ctx.deps.db, actor, answer.chatId);
      if (!chat) throw notFound();
      return Chat.from(chat);
    } catch (err) {
      if (!(err instanceof ChatFailure)) throw err;
      void publish({ ...base, type: 'error', error: err.message });
      // The failure's message is written for clients (no stack, no upstream dump): shown as is.
      throw new GraphQLError(err.message || INTERNAL_FAILURE, {
        extensions: { code: 'CHAT_FAILED', chatId: err.chatId },
      });
    }
  }

  @Subscription(() => ChatStreamEvent, {
    description: 'Tokens of the answers being streamed in a workspace, for its members.',
    subscribe: async ({ args, context }) => {
      const ctx = context as GraphQLContext;
      const actor = requireActor(ctx);
      const ws = await findWorkspaceBySlug(ctx.deps.db, actor, args.workspaceSlug as string);
      if (!ws) throw notFound();
      // Asked again at each answer's start: someone removed from the workspace hears no more of its chats.
      return whileVisible(
        await openChatStream(ctx.deps.pubsub, ws.id),
        async () => !!(await findWorkspaceById(ctx.deps.db, actor, ws.id)),
      );
    },
  })
  chatStream(
    @Root() message: Partial<ChatStreamMessage> & { type: string },
    @Arg('workspaceSlug') _workspaceSlug: string,
  ): ChatStreamEvent {
    return Object.assign(new ChatStreamEvent(), {
      type: message.type,
      chatId: message.chatId ?? null,
      userId: message.userId ?? null,
      token: message.token ?? null,
      error: message.error ?? null,
    });
  }

  @Query(() => [Chat], {
    complexity: listComplexity(20),
    description: 'A thread, or without one your default conversation in the workspace; oldest first.',
  })
  async chatHistory(
    @Ctx() ctx: GraphQLContext,
    @Arg('workspaceId', () => ID) workspaceId: string,
    @Arg('threadId', () => ID, { nullable: true }) threadId?: string | null,
    @Arg('limit', () => Int, { nullable: true }) limit?: number,
    @Arg('offset', () => Int, { nullable: true }) offset?: number,
    @Arg('asOf', () => AsOf, { nullable: true, description: AS_OF_DESCRIPTION }) asOf?: Date | null,
  ): Promise<Chat[]> {
    const { results } = await chatHistory(
      await readsAsOf(ctx, asOf, pastChatsOf(Number(workspaceId), optionalId(threadId) ?? null)),
      requireActor(ctx),
      {
        workspaceId: Number(workspaceId),
        threadId: optionalId(threadId) ?? null,
      },
      window(limit, offset),
    );
    return results.map(Chat.from);
  }

  @Query(() => Chat, { nullable: true })
  async chat(@Ctx() ctx: GraphQLContext, @Arg('id', () => ID) id: string): Promise<Chat | null> {
    const chat = await findVisibleChat(ctx.deps.db, requireActor(ctx), Number(id));
    return chat && Chat.from(chat);
  }

  @Query(() => [Chat], {
    complexity: searchListComplexity(50),
    description: 'Chats you may see, newest first (REST GET /api/chats/).',
  })
  async chats(
    @Ctx() ctx: GraphQLContext,
    @Arg('workspaceId', () => ID, { nullable: true }) workspaceId?: string | null,
    @Arg('threadId', () => ID, { nullable: true }) threadId?: string | null,
    @Arg('userId', () => ID, { nullable: true }) userId?: string | null,
    @Arg('createdAfter', () => DateTime, { nullable: true }) createdAfter?: Date | null,
    @Arg('createdBefore', () => DateTime, { nullable: true }) createdBefore?: Date | null,
    @Arg('search', () => String, { nullable: true }) search?: string | null,
    @Arg('limit', () => Int, { nullable: true }) limit?: number,
    @Arg('offset', () => Int, { nullable: true }) offset?: number,
  ): Promise<Chat[]> {
    const filter: Filter = {};
    if (workspaceId) filter.workspace = Number(workspaceId);
    if (threadId) filter.thread = Number(threadId);
    if (userId) filter.user = Number(userId);
    if (createdAfter || createdBefore) {
      filter.created_at = {
        ...(createdAfter ? { $gte: createdAfter.toISOString() } : {}),
        ...(createdBefore ? { $lte: createdBefore.toISOString() } : {}),
      };
    }
    if (search) Object.assign(filter, containsAny(search, 'search', ['prompt', 'response']));
    const { results } = await listChats(ctx.deps.db, requireActor(ctx), filter, window(limit, offset));
    return results.map(Chat.from);
  }

  @Query(() => [Chat], { complexity: searchListComplexity(50, true) })
  async searchChats(
    @Ctx() ctx: GraphQLContext,
    @Arg('query') query: string,
    @Arg('workspaceId', () => ID, { nullable: true }) workspaceId?: string | null,
    @Arg('searchIn', () => [String], { nullable: true, description: 'prompt and/or response; both when left out.' })
    searchIn?: string[] | null,
    @Arg('limit', () => Int, { nullable: true }) limit?: number,
    @Arg('offset', () => Int, { nullable: true }) offset?: number,
  ): Promise<Chat[]> {
    if (!query.trim()) throw invalid('Validation failed.', { query: ['This field may not be blank.'] });
    const fields = searchIn?.length ? searchIn : [...SEARCH_FIELDS];
    if (fields.some((f) => !(SEARCH_FIELDS as readonly string[]).includes(f)))
      throw invalid('Validation failed.', { search_in: ['Use prompt, response, or both.'] });
    const { results } = await searchChats(
      ctx.deps.db,
      requireActor(ctx),
      {
        query: query.trim(),
        workspaceId: optionalId(workspaceId) ?? null,
        searchIn: fields as SearchField[],
      },
      window(limit, offset),
    );
    return results.map(Chat.from);
  }

  @Query(() => ChatExport, {
    complexity: EXPORT_COMPLEXITY,
    description: 'json, csv or txt as text; pdf base64-encoded (REST POST /api/chats/export/ gives the file itself).',
  })
  async exportChats(
    @Ctx() ctx: GraphQLContext,
    @Arg('format', () => String, { defaultValue: 'json' }) format: string,
    @Arg('workspaceId', () => ID, { nullable: true }) workspaceId?: string | null,
    @Arg('dateFrom', () => String, { nullable: true }) dateFrom?: string | null,
    @Arg('dateTo', () => String, { nullable: true }) dateTo?: string | null,
  ): Promise<ChatExport> {
    const file = await exportChats(ctx.deps.db, requireActor(ctx), {
      format,
      workspace_id: optionalId(workspaceId),
      date_from: dateFrom ?? undefined,
      date_to: dateTo ?? undefined,
    });
    const binary = format === 'pdf';
    return Object.assign(new ChatExport(), {
      filename: file.filename,
      contentType: file.contentType,
      encoding: binary ? 'base64' : 'utf8',
      content: file.body.toString(binary ? 'base64' : 'utf8'),
    });
  }

  @Mutation(() => Chat)
  async submitFeedback(
    @Ctx() ctx: GraphQLContext,
    @Arg('chatId', () => ID) chatId: string,
    @Arg('feedback') feedback: boolean,
    @Arg('comment', () => String, { nullable: true }) comment?: string | null,
  ): Promise<Chat> {
    const { position } = await giveFeedback(
      ctx.deps.store,
      { chat_id: Number(chatId), feedback, comment: comment ?? null },
      commandContextOf(ctx),
    );
    await ctx.deps.progress.settle(position);
    const chat = await findVisibleChat(ctx.deps.db, requireActor(ctx), Number(chatId));
    if (!chat) throw notFound();
    return Chat.from(chat);
  }
}
