import { type FakeLlmOptions, type FakeLlmServer, type LlmProtocol, startFakeLlmServer } from './fake-llm-server.js';

export type { FakeLlmOptions, FakeLlmServer, RecordedRequest } from './fake-llm-server.js';

const event = (type: string, data: unknown) => `event: ${type}\ndata: ${JSON.stringify(data)}\n\n`;

const ERROR_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  500: 'api_error',
  529: 'overloaded_error',
};

/** Anthropic's Messages streaming protocol (POST /v1/messages, named SSE events). */
export const anthropicProtocol: LlmProtocol = {
  path: '/v1/messages',
  errorBody: (status, message) => ({ type: 'error', error: { type: ERROR_TYPES[status] ?? 'api_error', message } }),
  opening: (body) =>
    event('message_start', {
      type: 'message_start',
      message: {
        id: 'msg_fake',
        type: 'message',
        role: 'assistant',
        content: [],
        model: body?.model ?? 'fake',
        stop_reason: null,
        stop_sequence: null,
        usage: { input_tokens: 1, output_tokens: 1 },
      },
    }) +
    event('content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }) +
    event('ping', { type: 'ping' }),
  token: (text) =>
    event('content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text } }),
  closing: () =>
    event('content_block_stop', { type: 'content_block_stop', index: 0 }) +
    event('message_delta', {
      type: 'message_delta',
      delta: { stop_reason: 'end_turn', stop_sequence: null },
      usage: { output_tokens: 1 },
    }) +
    event('message_stop', { type: 'message_stop' }),
  streamError: (message) => event('error', { type: 'error', error: { type: 'overloaded_error', message } }),
  complete: (text, body) => ({
    id: 'msg_fake',
    type: 'message',
    role: 'assistant',
    model: body?.model ?? 'fake',
    content: [{ type: 'text', text }],
    stop_reason: 'end_turn',
    stop_sequence: null,
    usage: { input_tokens: 1, output_tokens: 1 },
  }),
  modelNotFound: (model) => ({
    status: 404,
    body: { type: 'error', error: { type: 'not_found_error', message: `model: ${model}` } },
  }),
};

/** A local server speaking Anthropic's Messages API. Its `url` is the base URL to configure (no /v1). */
export function startFakeAnthropic(options: Partial<FakeLlmOptions> = {}): Promise<FakeLlmServer> {
  return startFakeLlmServer(anthropicProtocol, options);
}

export const start = startFakeAnthropic;
