import type { WorkspaceSettings } from '../../domain/workspaces/settings.js';

/**
 * A language model used as an agent: given the conversation so far and the tools it may call, it takes
 * one turn, answering in text, asking for tool calls, or both. The runtime runs the tools, appends
 * their results as `tool` messages and asks for the next turn, until a turn asks for no tool.
 * Adapters: OpenAI-compatible endpoints (`tools`, streamed `tool_calls`), Anthropic's Messages API
 * (`tool_use` / `tool_result` blocks), and the built-in extractive agent.
 */

/** A JSON Schema object describing a tool's arguments (`{type: 'object', properties, required}`). */
export type JsonSchemaObject = Record<string, unknown>;

export interface AgentToolSpec {
  /** Matches ^[a-zA-Z0-9_-]{1,64}$, as both providers require. */
  name: string;
  description: string;
  parameters: JsonSchemaObject;
}

export interface AgentToolCall {
  /** The provider's call id when it gives one, else one the adapter makes; unique within a turn. */
  id: string;
  name: string;
  arguments: Record<string, unknown>;
}

export type AgentMessage =
  | { role: 'system' | 'user'; content: string }
  | { role: 'assistant'; content: string; toolCalls: AgentToolCall[] }
  /** A tool's result (or error text when isError), answering the assistant's call of that id. */
  | { role: 'tool'; callId: string; name: string; content: string; isError: boolean };

export interface AgentTurnRequest {
  /** The workspace's chat_model, or null for the provider's configured default. */
  model: string | null;
  temperature: number;
  messages: AgentMessage[];
  tools: AgentToolSpec[];
  /** Aborting it cancels the model call; the turn then rejects with an AbortError or resolves empty. */
  signal: AbortSignal;
}

export interface AgentTurn {
  /** What the model said this turn ('' when it only called tools). */
  text: string;
  /** The calls it asked for, in order; none means `text` is its final answer. */
  toolCalls: AgentToolCall[];
  /** Token counts when the provider reports them. */
  usage: { inputTokens: number; outputTokens: number } | null;
}

export interface AgentModel {
  /** As in LLM_PROVIDER: 'openai', 'anthropic', 'extractive'. */
  readonly name: string;
  /** One model turn. Throws LlmError (from ./port.js) on a provider failure. */
  turn(request: AgentTurnRequest): Promise<AgentTurn>;
}

export interface AgentModelChoice {
  agent: AgentModel;
  /** For AgentTurnRequest.model: the workspace's chat_model, or null for the provider's default. */
  model: string | null;
}

/** Picks the agent model of a workspace, by the same rules as its chat provider (LlmSelector.select). */
export interface AgentModelSelector {
  /** Throws LlmError for an unknown provider or one whose key is not configured. */
  selectAgent(
    settings: Pick<WorkspaceSettings, 'chatProvider' | 'chatModel'>,
    providerSetting?: unknown,
  ): AgentModelChoice;
}
