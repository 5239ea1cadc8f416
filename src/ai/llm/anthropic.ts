import Anthropic, { APIConnectionError, APIConnectionTimeoutError, APIError } from '@anthropic-ai/sdk';
import type { AnthropicConfig } from './config.js';
import { originOf, toLlmError, type UpstreamDescription } from './errors.js';
import type { AgentModel, AgentTurn, AgentTurnRequest } from './agent-port.js';
import { EventAssembler, toAgentMessagesApi, toAnthropicTools } from './anthropic-agent.js';
import { guardedTurn, UpstreamGuard } from './guard.js';
import type { ChatMessage, CompletionRequest, LlmProvider } from './port.js';

const ANTHROPIC_API = 'https://api.anthropic.com';
const SDK_ERRORS = { APIError, APIConnectionError, APIConnectionTimeoutError };

export interface AnthropicProviderOptions extends AnthropicConfig {
  timeoutMs: number;
  maxRetries: number;
}

interface Turn {
  role: 'user' | 'assistant';
  content: string;
}

/**
 * The Messages API wants the system prompt apart and turns that alternate, starting with the user's.
 * System messages are joined; consecutive turns of one role are merged; empty ones are dropped.
 */
export function toMessagesApi(messages: readonly ChatMessage[]): { system: string; turns: Turn[] } {
  const system: string[] = [];
  const turns: Turn[] = [];
  for (const message of messages) {
    if (message.content.trim() === '') continue;
    if (message.role === 'system') {
      system.push(message.content);
      continue;
    }
    const last = turns[turns.length - 1];
    if (last && last.role === message.role) last.content += `\n\n${message.content}`;
    else turns.push({ role: message.role, content: message.content });
  }
  if (turns[0]?.role === 'assistant') turns.shift();
  return { system: system.join('\n\n'), turns };
}

/**
 * Anthropic's Messages API, streamed through the official client, for chats and for agent turns
 * (`tool_use` / `tool_result` blocks). The workspace's temperature is not sent: API version
 * 2026-10-21 (SDK 1.x) dropped the sampling parameters from the Messages API.
 */
export class AnthropicProvider implements LlmProvider, AgentModel {
  readonly name = 'anthropic';
  private readonly client: Anthropic;
  private readonly baseUrl: string;

  constructor(private readonly options: AnthropicProviderOptions) {
    this.baseUrl = options.baseUrl ?? ANTHROPIC_API;
    this.client = new Anthropic({
      apiKey: options.apiKey,
      authToken: null,
      baseURL: this.baseUrl,
      maxRetries: options.maxRetries,
      timeout: options.timeoutMs > 0 ? options.timeoutMs : undefined,
    });
  }

  private upstream(model: string): UpstreamDescription {
    return { label: 'The Anthropic API', origin: originOf(this.baseUrl), model, timeoutMs: this.options.timeoutMs };
  }

  async *stream(request: CompletionRequest): AsyncIterable<string> {
    if (request.signal.aborted) return;
    const model = request.model || this.options.model;
    const upstream = this.upstream(model);
    const { system, turns } = toMessagesApi(request.messages);
    const guard = new UpstreamGuard(request.signal, this.options.timeoutMs);
    let streaming = false;
    try {
      const events = await this.client.messages.create(
        {
          model,
          max_tokens: this.options.maxTokens,
          ...(system ? { system } : {}),
          messages: turns,
          stream: true,
        },
        { signal: guard.signal },
      );
      streaming = true;
      for await (const event of events) {
        guard.touch();
        if (request.signal.aborted) return;
        if (event.type === 'content_block_delta' && event.delta.type === 'text_delta' && event.delta.text)
          yield event.delta.text;
      }
      if (guard.timedOut) throw new APIConnectionTimeoutError();
    } catch (err) {
      if (guard.callerAborted) return;
      throw toLlmError(guard.timedOut ? new APIConnectionTimeoutError() : err, SDK_ERRORS, upstream, streaming);
    } finally {
      guard.close();
    }
  }

  /** One agent turn, streamed so that a stall between events times out as a chat's does. */
  turn(request: AgentTurnRequest): Promise<AgentTurn> {
    const model = request.model || this.options.model;
    const { system, turns } = toAgentMessagesApi(request.messages);
    return guardedTurn(request, this.options.timeoutMs, {
      open: (signal) =>
        this.client.messages.create(
          {
            model,
            max_tokens: this.options.maxTokens,
            ...(system ? { system } : {}),
            messages: turns,
            ...(request.tools.length > 0 ? { tools: toAnthropicTools(request.tools) } : {}),
            stream: true,
          },
          { signal },
        ),
      assembler: new EventAssembler(),
      timeout: () => new APIConnectionTimeoutError(),
      failure: (err, streaming) => toLlmError(err, SDK_ERRORS, this.upstream(model), streaming),
    });
  }
}
