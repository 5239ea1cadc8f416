import OpenAI, { APIConnectionError, APIConnectionTimeoutError, APIError } from 'openai';
import type { OpenAiConfig } from './config.js';
import { originOf, toLlmError, type UpstreamDescription } from './errors.js';
import { UpstreamGuard } from './guard.js';
import type { CompletionRequest, LlmProvider } from './port.js';

const OPENAI_API = 'https://api.openai.com/v1';
const SDK_ERRORS = { APIError, APIConnectionError, APIConnectionTimeoutError };

export interface OpenAiProviderOptions extends OpenAiConfig {
  timeoutMs: number;
  maxRetries: number;
}

/**
 * Any endpoint speaking OpenAI's chat completions (OpenAI, Azure OpenAI, Ollama, vLLM, LM Studio,
 * LocalAI...), streamed through the official client. Retries, when configured, happen only before
 * the response starts: once tokens flow a failure is reported, never replayed.
 */
export class OpenAiProvider implements LlmProvider {
  readonly name = 'openai';
  private readonly client: OpenAI;
  private readonly baseUrl: string;

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

  async *stream(request: CompletionRequest): AsyncIterable<string> {
    if (request.signal.aborted) return;
    const model = request.model || this.options.model;
    const upstream: UpstreamDescription = {
      label: 'The OpenAI-compatible endpoint',
      origin: originOf(this.baseUrl),
      model,
      timeoutMs: this.options.timeoutMs,
    };
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
}
