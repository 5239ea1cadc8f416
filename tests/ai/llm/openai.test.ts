import { OpenAiProvider } from '../../../src/ai/llm/openai.js';
import { type CompletionRequest, LlmError } from '../../../src/ai/llm/port.js';
import { type FakeLlmServer, startFakeOpenAi } from '../../support/fake-openai.js';
import { collect, failure } from '../../support/llm-streams.js';

const KEY = 'sk-test-0123456789abcdefghijklmnop';

function provider(baseUrl: string, overrides: Partial<ConstructorParameters<typeof OpenAiProvider>[0]> = {}) {
  return new OpenAiProvider({
    apiKey: KEY,
    baseUrl,
    model: 'default-model',
    timeoutMs: 5_000,
    maxRetries: 0,
    ...overrides,
  });
}

function request(overrides: Partial<CompletionRequest> = {}): CompletionRequest {
  return {
    model: null,
    temperature: 0.3,
    messages: [
      {
        role: 'system',
        content:
          'You answer from the handbook.\n\nContext:\n[CONTEXT 0] handbook.md (pinned document)\nRefunds take 14 days.\n[END CONTEXT 0]',
      },
      { role: 'user', content: 'Hi' },
      { role: 'assistant', content: 'Hello! How can I help?' },
      { role: 'user', content: 'How long do refunds take?' },
    ],
    context: [],
    signal: new AbortController().signal,
    ...overrides,
  };
}

function expectClean(error: LlmError) {
  expect(error.message).not.toContain(KEY);
  expect(error.message).not.toMatch(/sk-test|\bat .+:\d+:\d+|\{"error"/);
}

describe('OpenAI-compatible provider against a local chat-completions server', () => {
  let server: FakeLlmServer;
  beforeEach(async () => {
    server = await startFakeOpenAi({ tokens: ['Refunds', ' take', ' 14', ' days', '.'] });
  });
  afterEach(() => server.close());

  it('streams the tokens in order and sends model, temperature, system prompt and messages', async () => {
    const tokens = await collect(provider(server.url).stream(request({ model: 'llama3.1:8b' })));

    expect(tokens).toEqual(['Refunds', ' take', ' 14', ' days', '.']);
    expect(server.requests).toHaveLength(1);
    const [sent] = server.requests;
    expect(sent.path).toBe('/v1/chat/completions');
    expect(sent.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(sent.body).toMatchObject({
      model: 'llama3.1:8b',
      temperature: 0.3,
      stream: true,
      messages: request().messages,
    });
    expect(sent.body.messages[0].content).toContain('Refunds take 14 days.');
  });

  it('uses the configured default model when the workspace names none', async () => {
    await collect(provider(server.url).stream(request()));
    expect(server.requests[0].body.model).toBe('default-model');
  });

  it('works without a key for local endpoints', async () => {
    await collect(provider(server.url, { apiKey: null }).stream(request()));
    expect(server.requests[0].body.model).toBe('default-model');
  });

  it('stops the upstream request when the signal aborts mid-answer, without an error', async () => {
    server.set({ tokens: Array.from({ length: 1000 }, (_, i) => ` t${i}`), delayMs: 5 });
    const controller = new AbortController();
    const tokens: string[] = [];
    for await (const token of provider(server.url).stream(request({ signal: controller.signal }))) {
      tokens.push(token);
      if (tokens.length === 3) controller.abort();
    }
    await server.requests[0].finished;

    expect(tokens).toEqual([' t0', ' t1', ' t2']);
    expect(server.requests[0].aborted).toBe(true);
  });

  it('stops the upstream request when the consumer stops reading', async () => {
    server.set({ tokens: Array.from({ length: 1000 }, (_, i) => ` t${i}`), delayMs: 5 });
    for await (const token of provider(server.url).stream(request())) {
      if (token === ' t1') break;
    }
    await server.requests[0].finished;
    expect(server.requests[0].aborted).toBe(true);
  });

  it('abandons a request still waiting for its headers when the signal aborts', async () => {
    server.set({ hang: true });
    const controller = new AbortController();
    const done = collect(provider(server.url).stream(request({ signal: controller.signal })));
    await waitFor(() => server.requests.length === 1);
    controller.abort();

    await expect(done).resolves.toEqual([]);
    await server.requests[0].finished;
    expect(server.requests[0].aborted).toBe(true);
  });

  it('does not call the endpoint for an already aborted signal', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(collect(provider(server.url).stream(request({ signal: controller.signal })))).resolves.toEqual([]);
    expect(server.requests).toHaveLength(0);
  });

  it.each([
    [
      401,
      'Incorrect API key provided: sk-test-0123456789abcdefghijklmnop.',
      'The OpenAI-compatible endpoint rejected the API key (HTTP 401).',
    ],
    [
      429,
      'Rate limit reached for requests',
      'The OpenAI-compatible endpoint is rate limiting requests or is out of quota (HTTP 429); try again later.',
    ],
    [
      500,
      'The server had an error while processing your request.',
      'The OpenAI-compatible endpoint failed (HTTP 500); try again later.',
    ],
    [503, 'Service unavailable', 'The OpenAI-compatible endpoint failed (HTTP 503); try again later.'],
  ])('maps HTTP %i to a clean LlmError', async (status, upstream, expected) => {
    server.set({ status, errorMessage: upstream });
    const error = await failure(provider(server.url).stream(request()));
    expect(error.message).toBe(expected);
    expectClean(error);
    expect(server.requests).toHaveLength(1); // no retry
  });

  it('names the model a 404 did not find', async () => {
    server.set({ models: ['gpt-4o'] });
    const error = await failure(provider(server.url).stream(request({ model: 'gpt-5-imaginary' })));
    expect(error.message).toBe(
      'Model "gpt-5-imaginary" was not found at the OpenAI-compatible endpoint (HTTP 404): check the model name and the base URL.',
    );
  });

  it('passes on a short upstream explanation of a 400, with key-like strings blanked', async () => {
    server.set({
      status: 400,
      errorMessage: "This model's maximum context length is 8192 tokens (key sk-live-abcdefgh1234).",
    });
    const error = await failure(provider(server.url).stream(request()));
    expect(error.message).toBe(
      "The OpenAI-compatible endpoint rejected the request (HTTP 400): This model's maximum context length is 8192 tokens (key [redacted]).",
    );
  });

  it('reports an error event in the middle of the stream', async () => {
    server.set({ errorAfter: 2, errorMessage: 'The model crashed' });
    const stream = provider(server.url).stream(request());
    const tokens: string[] = [];
    await expect(
      (async () => {
        for await (const token of stream) tokens.push(token);
      })(),
    ).rejects.toThrow('The OpenAI-compatible endpoint reported an error mid-answer: The model crashed');
    expect(tokens).toEqual(['Refunds', ' take']);
  });

  it('reports a connection lost mid-answer', async () => {
    server.set({ dropAfter: 2, delayMs: 2 });
    const error = await failure(provider(server.url).stream(request()));
    expect(error.message).toBe('The connection to the OpenAI-compatible endpoint was lost mid-answer.');
  });

  it('times out an endpoint that stops sending between tokens', async () => {
    server.set({ stallAfter: 2 });
    const error = await failure(provider(server.url, { timeoutMs: 300 }).stream(request()));
    expect(error.message).toBe('The OpenAI-compatible endpoint did not answer within 0.3 s.');
    await server.requests[0].finished;
    expect(server.requests[0].aborted).toBe(true);
  });

  it('times out an endpoint that never answers', async () => {
    server.set({ hang: true });
    const error = await failure(provider(server.url, { timeoutMs: 300 }).stream(request()));
    expect(error.message).toBe('The OpenAI-compatible endpoint did not answer within 0.3 s.');
  });

  it('reports a refused connection with the endpoint origin only', async () => {
    const url = server.url;
    await server.close();
    const error = await failure(provider(`${url}?api-key=secret`).stream(request()));
    expect(error.message).toBe(
      `Could not connect to the OpenAI-compatible endpoint at ${new URL(url).origin} (connection refused).`,
    );
    expect(error.message).not.toContain('secret');
    server = await startFakeOpenAi(); // for afterEach
  });
});

async function waitFor(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
  if (!condition()) throw new Error('condition not met');
}
