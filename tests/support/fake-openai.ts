import { type FakeLlmOptions, type FakeLlmServer, type LlmProtocol, startFakeLlmServer } from './fake-llm-server.js';

export type { FakeLlmOptions, FakeLlmServer, RecordedRequest } from './fake-llm-server.js';

const event = (data: unknown) => `data: ${JSON.stringify(data)}\n\n`;
const chunk = (body: any, delta: Record<string, unknown>, finish: string | null = null) =>
  event({
    id: 'chatcmpl-fake',
    object: 'chat.completion.chunk',
    created: Math.floor(Date.now() / 1000),
    model: body?.model ?? 'fake',
    choices: [{ index: 0, delta, finish_reason: finish }],
  });

const ERROR_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'invalid_request_error',
  403: 'permission_denied',
  404: 'invalid_request_error',
  429: 'rate_limit_exceeded',
};

/** OpenAI's chat completions protocol (POST /v1/chat/completions, SSE `data:` chunks, then `[DONE]`). */
export const openAiProtocol: LlmProtocol = {
  path: '/v1/chat/completions',
  errorBody: (status, message) => ({
    error: { message, type: ERROR_TYPES[status] ?? 'server_error', param: null, code: null },
  }),
  opening: (body) => chunk(body, { role: 'assistant', content: '' }),
  token: (token, body) => chunk(body, { content: token }),
  closing: (body) => `${chunk(body, {}, 'stop')}data: [DONE]\n\n`,
  streamError: (message) => event({ error: { message, type: 'server_error', param: null, code: null } }),
  complete: (text, body) => ({
    id: 'chatcmpl-fake',
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: body?.model ?? 'fake',
    choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' }],
    usage: { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 },
  }),
  modelNotFound: (model) => ({
    status: 404,
    body: {
      error: {
        message: `The model \`${model}\` does not exist or you do not have access to it.`,
        type: 'invalid_request_error',
        param: null,
        code: 'model_not_found',
      },
    },
  }),
};

/** A local OpenAI-compatible server. Its `url` is the base URL to configure (it ends in /v1). */
export async function startFakeOpenAi(options: Partial<FakeLlmOptions> = {}): Promise<FakeLlmServer> {
  const server = await startFakeLlmServer(openAiProtocol, options);
  return { ...server, url: `${server.url}/v1` };
}

export const start = startFakeOpenAi;
