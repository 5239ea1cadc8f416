import type { WorkspaceSettings } from '../../domain/workspaces/settings.js';

/**
 * A language model that streams an answer token by token and stops when its signal aborts.
 * Adapters: OpenAI-compatible endpoints, Anthropic, and the built-in extractive answerer.
 */
export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/** A passage of the workspace's documents put into the prompt, kept as the chat's sources. */
export interface ContextPassage {
  documentId: number;
  filename: string;
  /** Chunk index, or null for a pinned document given whole. */
  chunk: number | null;
  text: string;
  /** Retrieval score 0..1; 1 for a pinned document. */
  score: number;
}

export interface CompletionRequest {
  /** The workspace's chat_model, or null for the provider's configured default. */
  model: string | null;
  temperature: number;
  /** The assembled prompt: system prompt with context, history, then the user's message. */
  messages: ChatMessage[];
  /** The same context as structured passages, for answerers that work on passages rather than prose. */
  context: ContextPassage[];
  signal: AbortSignal;
}

export interface LlmProvider {
  /** As in LLM_PROVIDER / a workspace's chat_provider: 'openai', 'anthropic', 'extractive'. */
  readonly name: string;
  /** Yields the answer's tokens in order. Throws LlmError on failure; stops early once the signal aborts. */
  stream(request: CompletionRequest): AsyncIterable<string>;
}

/** A provider chosen for a workspace's chats, and the model to ask it for. */
export interface ProviderChoice {
  provider: LlmProvider;
  /** For CompletionRequest.model: the workspace's chat_model, or null for the provider's default. */
  model: string | null;
}

/** Picks the provider that answers a workspace's chats (see LlmProviders, the adapter). */
export interface LlmSelector {
  /** The provider chats use when their workspace names none, given the llm_provider setting. */
  serverWide(setting: unknown): string;
  /** Throws LlmError for an unknown provider or one whose key is not configured. */
  select(settings: Pick<WorkspaceSettings, 'chatProvider' | 'chatModel'>, providerSetting?: unknown): ProviderChoice;
}

/** A provider failure with a message fit for a client: no stack, no secret, no upstream body dump. */
export class LlmError extends Error {
  constructor(
    message: string,
    readonly cause?: unknown,
  ) {
    super(message);
    this.name = 'LlmError';
  }
}
