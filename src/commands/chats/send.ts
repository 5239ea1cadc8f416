import { assemblePrompt } from '../../ai/prompt/assemble.js';
import { LlmError } from '../../ai/llm/port.js';
import { chatDecider } from '../../domain/chats/chat.js';
import type { ChatMode, ChatSource } from '../../domain/chats/events.js';
import { fold } from '../../domain/shared/decider.js';
import { fieldError, notFound } from '../../domain/shared/errors.js';
import { threadDecider } from '../../domain/workspaces/thread.js';
import type { WorkspaceSettings } from '../../domain/workspaces/settings.js';
import { type Actor, type CommandContext, requireActor } from '../shared/context.js';
import { scopedId } from '../shared/event-ids.js';
import { handleCommand } from '../shared/handle.js';
import { nextId } from '../shared/sequence.js';
import { parseInput } from '../shared/validation.js';
import { currentSetting } from '../system/settings.js';
import { threadStream } from '../workspaces/threads.js';
import { loadWorkspace } from '../workspaces/workspaces.js';
import type { ChatDeps } from './deps.js';
import { type SendChatInput, sendChatInput } from './inputs.js';
import { useChatQuota } from './quota.js';

export const chatStreamName = (chatId: number) => `chat-${chatId}`;

export const CANCELLED = 'Cancelled: the client went away before the answer was complete.';
export const INTERNAL_FAILURE = 'The answer could not be completed. Please try again later.';

/** Why an answer stopped, in words fit for the client (the original error, if any, is `cause`, for the log). */
export class ChatFailure extends Error {
  constructor(
    message: string,
    readonly chatId: number,
    readonly cause?: unknown,
  ) {
    super(message);
    this.name = 'ChatFailure';
  }
}

export interface ChatAnswer {
  chatId: number;
  response: string;
  sources: ChatSource[];
  /** Global position of ChatCompleted: read models include the chat once they pass it. */
  position: number;
}

export interface StartedChat {
  chatId: number;
  workspaceId: number;
  threadId: number | null;
  mode: ChatMode;
  /**
   * Streams the answer token by token into `onToken` and records it whole; rejects with a ChatFailure
   * (recorded as ChatFailed) when the model fails or `signal` aborts, which also cancels the model call.
   */
  answer(onToken: (token: string) => void, signal: AbortSignal): Promise<ChatAnswer>;
}

/** Each step of a chat writes under its own command id: the same stream is appended to more than once. */
const step = (ctx: CommandContext, name: string): CommandContext => ({
  ...ctx,
  commandId: scopedId(ctx.commandId, name),
  idempotencyKey: null,
});

/**
 * Everything that may refuse a chat, before any answer streams: input, membership of the workspace,
 * the thread's place in it, the daily limit. A refused chat writes nothing and asks no model.
 *
 * Once the limit has counted it, the chat is accepted: its prompt is assembled and the model asked
 * while its id is drawn and ChatRequested recorded, so the model's latency overlaps those appends
 * instead of following them. No token reaches the caller before ChatRequested is recorded (the
 * caller receives the chat only then); if recording fails, the model call is aborted.
 */
export async function startChat(deps: ChatDeps, rawInput: unknown, ctx: CommandContext): Promise<StartedChat> {
  const actor = requireActor(ctx);
  const input = parseInput(sendChatInput, rawInput);
  const { workspaceId, state } = await loadWorkspace(deps.store, input.workspace_slug, actor);
  if (state.status !== 'active') throw notFound();
  const threadId = input.thread_id ?? null;
  if (threadId !== null) {
    const thread = fold(threadDecider, (await deps.store.readStream(threadStream(threadId))) as never);
    if (thread.status !== 'active' || thread.workspaceId !== workspaceId)
      throw fieldError('thread_id', 'No such thread in this workspace.');
  }
  const mode = input.mode ?? state.settings.chatMode;

  await useChatQuota(deps.store, actor, step(ctx, 'quota'));
  const settings: WorkspaceSettings = { ...state.settings, chatMode: mode };
  const upstream = new AbortController();
  const prepared = prepareAnswer(deps, { actor, workspaceId, threadId, settings, input }, upstream.signal);
  prepared.catch(() => {}); // observed by answer(); this keeps an early failure from going unhandled meanwhile
  let chatId: number;
  try {
    chatId = await nextId(deps.store, 'chat', ctx);
    await handleCommand(
      deps.store,
      chatStreamName(chatId),
      chatDecider,
      {
        type: 'RequestChat',
        actor,
        chatId,
        workspaceId,
        threadId,
        prompt: input.message,
        mode,
        now: ctx.now,
      },
      step(ctx, 'request'),
    );
  } catch (err) {
    upstream.abort();
    throw err;
  }

  return {
    chatId,
    workspaceId,
    threadId,
    mode,
    answer: (onToken, signal) => answerChat(deps, chatId, prepared, upstream, onToken, signal, ctx),
  };
}

interface ChatToAnswer {
  actor: Actor;
  workspaceId: number;
  threadId: number | null;
  settings: WorkspaceSettings;
  input: SendChatInput;
}

/** The prompt, and either the refusal to answer instead or the model's token stream, already started. */
interface PreparedAnswer {
  sources: ChatSource[];
  refusal: string | null;
  tokens: AsyncIterator<string> | null;
  /** The stream's first step, asked for at once so the request is on its way. */
  first: Promise<IteratorResult<string>> | null;
}

async function prepareAnswer(deps: ChatDeps, chat: ChatToAnswer, signal: AbortSignal): Promise<PreparedAnswer> {
  const { workspaceId, threadId, settings } = chat;
  const [history, defaultSystemPrompt, providerSetting] = await Promise.all([
    deps.history.lastExchanges(workspaceId, threadId, chat.actor.userId, settings.chatHistory),
    currentSetting(deps.store, 'default_system_prompt'),
    currentSetting(deps.store, 'llm_provider'),
  ]);
  const prompt = await assemblePrompt({
    settings,
    message: withAttachments(chat.input),
    history,
    knowledge: deps.knowledge,
    workspaceId,
    defaultSystemPrompt: String(defaultSystemPrompt),
    budget: deps.promptBudget,
  });
  // Query mode with nothing relevant: the workspace's refusal, and no model is asked.
  if (prompt.refusal !== null) return { sources: [], refusal: prompt.refusal, tokens: null, first: null };
  const { provider, model } = deps.llm.select(settings, providerSetting);
  const stream = provider.stream({
    model,
    temperature: settings.openaiTemp,
    messages: prompt.messages,
    context: prompt.context,
    signal,
  });
  const tokens = stream[Symbol.asyncIterator]();
  const first = tokens.next();
  first.catch(() => {}); // observed by answer()
  const sources = prompt.context.map(({ documentId, filename, chunk, score }) => ({
    documentId,
    filename,
    chunk,
    score,
  }));
  return { sources, refusal: null, tokens, first };
}

async function answerChat(
  deps: ChatDeps,
  chatId: number,
  prepared: Promise<PreparedAnswer>,
  upstream: AbortController,
  onToken: (token: string) => void,
  signal: AbortSignal,
  ctx: CommandContext,
): Promise<ChatAnswer> {
  const stream = chatStreamName(chatId);
  // The caller going away stops the model, whose tokens no one would read.
  const stop = () => upstream.abort();
  if (signal.aborted) stop();
  else signal.addEventListener('abort', stop, { once: true });
  let response = '';
  const emit = (token: string) => {
    response += token;
    onToken(token);
  };
  let tokens: AsyncIterator<string> | null = null;
  try {
    const answer = await prepared;
    let sources: ChatSource[] = [];
    if (answer.refusal !== null) {
      for (const token of answer.refusal.match(/\s*\S+\s*/g) ?? []) emit(token);
    } else {
      tokens = answer.tokens!;
      for (let next = await answer.first!; !next.done; next = await tokens.next()) {
        if (signal.aborted) break;
        emit(next.value);
      }
      sources = answer.sources;
    }
    if (signal.aborted) throw new ChatFailure(CANCELLED, chatId);
    const completed = await handleCommand(
      deps.store,
      stream,
      chatDecider,
      { type: 'CompleteChat', response, sources, now: new Date() },
      step(ctx, 'complete'),
    );
    return { chatId, response, sources, position: completed.position };
  } catch (err) {
    const reason = signal.aborted ? CANCELLED : err instanceof LlmError ? err.message : INTERNAL_FAILURE;
    await handleCommand(
      deps.store,
      stream,
      chatDecider,
      { type: 'FailChat', reason, now: new Date() },
      step(ctx, 'fail'),
    ).catch(() => {});
    throw err instanceof ChatFailure ? err : new ChatFailure(reason, chatId, err);
  } finally {
    signal.removeEventListener('abort', stop);
    upstream.abort(); // done or failed: nothing more is read from the model
    void tokens?.return?.(undefined)?.catch(() => {}); // lets the provider clean up after an early stop
  }
}

/** The message as the model reads it: the user's words, then each attached text file. */
function withAttachments(input: SendChatInput): string {
  const files = input.attachments ?? [];
  if (!files.length) return input.message;
  return [input.message, ...files.map((f) => `Attached file "${f.name}":\n${f.contentString}`)].join('\n\n');
}
