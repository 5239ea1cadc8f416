import { z } from 'zod';
import { LlmError } from '../../ai/llm/port.js';
import { assemblePrompt } from '../../ai/prompt/assemble.js';
import { originAllowed } from '../../domain/embeds/allowlist.js';
import { embedConfigDecider } from '../../domain/embeds/embed-config.js';
import type { EmbedSettings } from '../../domain/embeds/events.js';
import { embedExchangeDecider, embedQuotaDecider } from '../../domain/embeds/public-chat.js';
import { forbidden, invalid, notFound } from '../../domain/shared/errors.js';
import type { WorkspaceSettings } from '../../domain/workspaces/settings.js';
import { workspaceDecider } from '../../domain/workspaces/workspace.js';
import type { EventStore } from '../../infra/eventstore/port.js';
import type { ChatDeps } from '../chats/deps.js';
import type { CommandContext } from '../shared/context.js';
import { currentState } from '../shared/current-state.js';
import { scopedId } from '../shared/event-ids.js';
import { handleCommand } from '../shared/handle.js';
import { KeyedMutex } from '../shared/keyed-mutex.js';
import { parseInput, recordable, TEXT_LIMITS, tooLong } from '../shared/validation.js';
import { currentSetting } from '../system/settings.js';
import { workspaceStream } from '../workspaces/workspaces.js';
import { embedStream, embedUuid } from './embed-configs.js';

export const embedQuotaStream = (uuid: string) => `embedquota-${uuid}`;
export const embedChatStream = (chatUuid: string) => `embedchat-${chatUuid}`;

export const CANCELLED = 'Cancelled: the client went away before the answer was complete.';
export const INTERNAL_FAILURE = 'The answer could not be completed. Please try again later.';

/** What answering a widget's question needs: what a chat needs, and read-your-writes. */
export interface EmbedChatDeps extends ChatDeps {
  /** Read-your-writes: resolves once the read models include `position`. */
  progress: { waitFor(position: number): Promise<boolean> };
}

/**
 * Knowing a session id is what lets a visitor read its history, so it must be unguessable: the widget
 * draws a random (version 4) UUID and keeps it in localStorage; a name a visitor picks ("visitor-1") is
 * refused. Kept lower-case, so one id is one session however it is written.
 */
const SESSION_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;
const BAD_SESSION_ID = 'Must be a random UUID (version 4), as the widget makes them.';
const sessionId = z
  .string({ error: 'This field is required.' })
  .regex(SESSION_ID, BAD_SESSION_ID)
  .transform((id) => id.toLowerCase());

export const embedChatInput = z.object({
  session_id: sessionId,
  message: recordable(
    z
      .string({ error: 'This field is required.' })
      .trim()
      .min(1, 'This field may not be blank.')
      .max(TEXT_LIMITS.embedMessage, tooLong(TEXT_LIMITS.embedMessage)),
  ),
});

/** Why an answer stopped, in words fit for the widget (the original error, if any, is `cause`, for the log). */
export class EmbedChatFailure extends Error {
  constructor(
    message: string,
    readonly cause?: unknown,
  ) {
    super(message);
    this.name = 'EmbedChatFailure';
  }
}

export interface EmbedAnswer {
  /** The read model's id of this exchange: the global position of its EmbedChatCompleted. */
  chatId: number;
  response: string;
  position: number;
}

export interface StartedEmbedChat {
  chatUuid: string;
  /** Streams the answer into `onToken` and records it; rejects with an EmbedChatFailure (recorded) on failure or abort. */
  answer(onToken: (token: string) => void, signal: AbortSignal): Promise<EmbedAnswer>;
}

interface UsableConfig {
  uuid: string;
  settings: EmbedSettings;
  workspace: WorkspaceSettings;
}

/**
 * The first two checks, in DESIGN.md's order, from the write side: an unknown, deleted or disabled
 * config (or one whose workspace is gone) is 404; an Origin outside its non-empty allowlist is 403.
 */
export async function usableEmbedConfig(
  store: EventStore,
  rawUuid: unknown,
  origin: string | null,
): Promise<UsableConfig> {
  const uuid = embedUuid(rawUuid);
  const config = await currentState(store, embedStream(uuid), embedConfigDecider);
  if (config.status !== 'active' || !config.settings.enabled) throw notFound();
  const workspace = await currentState(store, workspaceStream(config.settings.workspaceId), workspaceDecider);
  if (workspace.status !== 'active') throw notFound();
  if (!originAllowed(origin, config.settings.allowlistDomains)) throw forbidden();
  return { uuid, settings: config.settings, workspace: workspace.settings };
}

/** Whether a browser page at `origin` may call this config's public endpoints (for CORS); false for unknown configs. */
export async function embedOriginAllowed(store: EventStore, rawUuid: unknown, origin: string): Promise<boolean> {
  try {
    await usableEmbedConfig(store, rawUuid, origin);
    return true;
  } catch {
    return false;
  }
}

// One config's questions are counted one at a time in this process, so simultaneous requests queue
// instead of racing into conflict retries; across processes the stream's expected revision decides.
const counting = new KeyedMutex();

/** Each step of a chat writes under its own command id. */
const step = (ctx: CommandContext, name: string): CommandContext => ({
  ...ctx,
  commandId: scopedId(ctx.commandId, name),
  idempotencyKey: null,
});

/**
 * Everything that may refuse a widget's question, before any answer streams (404, 403, 400, then the
 * daily and the session limit, 429); a refused question writes nothing. Then EmbedChatStarted.
 */
export async function startEmbedChat(
  deps: EmbedChatDeps,
  rawUuid: unknown,
  origin: string | null,
  rawInput: unknown,
  ctx: CommandContext,
): Promise<StartedEmbedChat> {
  const config = await usableEmbedConfig(deps.store, rawUuid, origin);
  const input = parseInput(embedChatInput, rawInput);
  const actingAs = { actorId: config.uuid, actorType: 'embed' as const };
  const asWidget: CommandContext = { ...ctx, actor: null, actingAs };
  const chatUuid = scopedId(ctx.commandId, 'embed-chat');
  const { uuid } = config;

  const started = await counting.run(uuid, () =>
    handleCommand(
      deps.store,
      embedQuotaStream(uuid),
      embedQuotaDecider,
      {
        type: 'StartEmbedChat',
        embedUuid: uuid,
        sessionId: input.session_id,
        chatUuid,
        maxChatsPerDay: config.settings.maxChatsPerDay,
        messageLimit: config.settings.messageLimit,
        now: ctx.now,
      },
      step(asWidget, 'quota'),
    ),
  );

  return {
    chatUuid,
    answer: (onToken, signal) =>
      answerEmbedChat(
        deps,
        { config, chatUuid, sessionId: input.session_id, message: input.message, after: started.position },
        onToken,
        signal,
        asWidget,
      ),
  };
}

interface EmbedQuestion {
  config: UsableConfig;
  chatUuid: string;
  sessionId: string;
  message: string;
  after: number;
}

async function answerEmbedChat(
  deps: EmbedChatDeps,
  q: EmbedQuestion,
  onToken: (token: string) => void,
  signal: AbortSignal,
  ctx: CommandContext,
): Promise<EmbedAnswer> {
  const { config, chatUuid, sessionId, message } = q;
  const asked = { embedUuid: config.uuid, sessionId, chatUuid, prompt: message };
  // The config's chat_mode, over its workspace's other settings (prompt, model, topN, history length).
  const settings: WorkspaceSettings = { ...config.workspace, chatMode: config.settings.chatMode };
  let response = '';
  const emit = (token: string) => {
    response += token;
    onToken(token);
  };
  try {
    // This session's earlier exchanges: every one completed before this question was counted.
    await deps.progress.waitFor(q.after);
    const [history, defaultSystemPrompt, providerSetting] = await Promise.all([
      deps.history.embedSession(config.uuid, sessionId),
      currentSetting(deps.store, 'default_system_prompt'),
      currentSetting(deps.store, 'llm_provider'),
    ]);
    const prompt = await assemblePrompt({
      settings,
      message,
      knowledge: deps.knowledge,
      workspaceId: config.settings.workspaceId,
      history: history.map(({ prompt: p, response: r }) => ({ prompt: p, response: r })),
      defaultSystemPrompt: defaultSystemPrompt == null ? null : String(defaultSystemPrompt),
      budget: deps.promptBudget,
    });
    if (prompt.refusal !== null) {
      // Query mode with nothing relevant: the workspace's refusal, and no model is asked.
      for (const token of prompt.refusal.match(/\s*\S+\s*/g) ?? []) emit(token);
    } else {
      const { provider, model } = deps.llm.select(settings, providerSetting);
      for await (const token of provider.stream({
        model,
        temperature: settings.openaiTemp,
        messages: prompt.messages,
        context: prompt.context,
        signal,
      })) {
        if (signal.aborted) break;
        emit(token);
      }
    }
    if (signal.aborted) throw new EmbedChatFailure(CANCELLED);
    const completed = await handleCommand(
      deps.store,
      embedChatStream(chatUuid),
      embedExchangeDecider,
      { type: 'CompleteEmbedChat', response, ...asked, now: new Date() },
      step(ctx, 'complete'),
    );
    return { chatId: completed.position, response, position: completed.position };
  } catch (err) {
    // The event keeps the provider's clean message for the workspace's admins; an anonymous visitor
    // learns only that the answer failed (a provider message can name internal hosts).
    const shown = signal.aborted ? CANCELLED : err instanceof EmbedChatFailure ? err.message : INTERNAL_FAILURE;
    const reason = err instanceof LlmError && !signal.aborted ? err.message : shown;
    await handleCommand(
      deps.store,
      embedChatStream(chatUuid),
      embedExchangeDecider,
      { type: 'FailEmbedChat', reason, ...asked, now: new Date() },
      step(ctx, 'fail'),
    ).catch(() => {});
    throw err instanceof EmbedChatFailure ? err : new EmbedChatFailure(shown, err);
  }
}

/** The session whose history a widget asks for, after the same 404 and 403 checks; never another session's. */
export async function usableEmbedSession(
  store: EventStore,
  rawUuid: unknown,
  origin: string | null,
  rawSessionId: unknown,
) {
  const { uuid } = await usableEmbedConfig(store, rawUuid, origin);
  if (typeof rawSessionId !== 'string' || !SESSION_ID.test(rawSessionId))
    throw invalid('Validation failed.', { session_id: [BAD_SESSION_ID] });
  return { uuid, sessionId: rawSessionId.toLowerCase() };
}
