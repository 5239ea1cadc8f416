import OpenAI, { APIConnectionError, APIConnectionTimeoutError, APIError } from 'openai';
import type { OpenAiConfig } from './config.js';
import { originOf, toLlmError, type UpstreamDescription } from './errors.js';
import type { AgentModel, AgentTurn, AgentTurnRequest } from './agent-port.js';
import { guardedTurn, UpstreamGuard } from './guard.js';
import { ChunkAssembler, toChatCompletions, toFunctionTools } from './openai-agent.js';
import type { CompletionRequest, LlmProvider } from './port.js';

const OPENAI_API = 'https://api.openai.com/v1';
const SDK_ERRORS = { APIError, APIConnectionError, APIConnectionTimeoutError };

export interface OpenAiProviderOptions extends OpenAiConfig {
  timeoutMs: number;
  maxRetries: number;
}

/**
 * Any endpoint speaking OpenAI's chat completions (OpenAI, Azure OpenAI, Ollama, vLLM, LM Studio,
 * LocalAI...), streamed through the official client, for chats and for agent turns (function tools).
 * Retries, when configured, happen only before the response starts: once tokens flow a failure is
 * reported, never replayed.
 */
export class OpenAiProvider implements LlmProvider, AgentModel {
  readonly name = 'openai';
  private readonly client: OpenAI;
  private readonly baseUrl: string;
  private sendsStreamOptions = true;

  constructor(private readonly options: OpenAiProviderOptions) {
    this.baseUrl = options.baseUrl ?? OPENAI_API;
    this.client = new OpenAI({
      // Local endpoints (Ollama, vLLM...) take no key, but the client insists on one.
      apiKey: options.apiKey ?? 'no-key',
      baseURL: this.baseUrl,
      organization: null,
      project: null,
      maxRetries: options.maxRetries,
      timeout: options.timeoutMs > 0 ? options.timeoutMs : undefined,
    });
  }

  private upstream(model: string): UpstreamDescription {
    return {
      label: 'The OpenAI-compatible endpoint',
      origin: originOf(this.baseUrl),
      model,
      timeoutMs: this.options.timeoutMs,
    };
  }

  async *stream(request: CompletionRequest): AsyncIterable<string> {
    if (request.signal.aborted) return;
    const model = request.model || this.options.model;
    const upstream = this.upstream(model);
    const guard = new UpstreamGuard(request.signal, this.options.timeoutMs);
    let streaming = false;
    try {
      const completion = await this.client.chat.completions.create(
        { model, temperature: request.temperature, messages: request.messages, stream: true },
        { signal: guard.signal },
      );
      streaming = true;
      for await (const chunk of completion) {
        guard.touch();
        const token = chunk.choices[0]?.delta?.content;
        if (request.signal.aborted) return;
        if (token) yield token;
      }
      // The client ends quietly when its request is aborted: tell a stall from a finished answer.
      if (guard.timedOut) throw new APIConnectionTimeoutError();
    } catch (err) {
      if (guard.callerAborted) return;
      throw toLlmError(guard.timedOut ? new APIConnectionTimeoutError() : err, SDK_ERRORS, upstream, streaming);
    } finally {
      guard.close();
    }
  }

  /** One agent turn, streamed so that a stall between chunks times out as a chat's does. */
  turn(request: AgentTurnRequest): Promise<AgentTurn> {
    const model = request.model || this.options.model;
    return guardedTurn(request, this.options.timeoutMs, {
      open: (signal) => this.startTurn(model, request, signal),
      assembler: new ChunkAssembler(),
      timeout: () => new APIConnectionTimeoutError(),
      failure: (err, streaming) => toLlmError(err, SDK_ERRORS, this.upstream(model), streaming),
    });
  }

  /**
   * Opens a turn's stream, asking for the usage chunk (stream_options) unless this endpoint refused
   * it: some gateways answer 400 to a parameter they do not know, and get turns without it from then on.
   */
  private async startTurn(model: string, request: AgentTurnRequest, signal: AbortSignal) {
    const body = {
      model,
      temperature: request.temperature,
      messages: toChatCompletions(request.messages),
      // An empty tools list is refused by the API: a turn without tools sends none.
      ...(request.tools.length > 0 ? { tools: toFunctionTools(request.tools) } : {}),
      stream: true as const,
    };
    if (this.sendsStreamOptions) {
      try {
        return await this.client.chat.completions.create(
          { ...body, stream_options: { include_usage: true } },
          { signal },
        );
      } catch (err) {
        if (!(err instanceof APIError && err.status === 400 && /stream_options/.test(JSON.stringify(err.error ?? ''))))
          throw err;
        this.sendsStreamOptions = false;
      }
    }
    return this.client.chat.completions.create(body, { signal });
  }
}
