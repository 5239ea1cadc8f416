import { AnthropicProvider, toMessagesApi } from '../../../src/ai/llm/anthropic.js';
import type { CompletionRequest } from '../../../src/ai/llm/port.js';
import { type FakeLlmServer, startFakeAnthropic } from '../../support/fake-anthropic.js';
import { collect, failure } from '../../support/llm-streams.js';

const KEY = 'sk-ant-test-0123456789abcdefghij';

function provider(baseUrl: string, overrides: Partial<ConstructorParameters<typeof AnthropicProvider>[0]> = {}) {
  return new AnthropicProvider({
    apiKey: KEY,
    baseUrl,
    model: 'claude-default',
    maxTokens: 1024,
    timeoutMs: 5_000,
    maxRetries: 0,
    ...overrides,
  });
}

function request(overrides: Partial<CompletionRequest> = {}): CompletionRequest {
  return {
    model: null,
    temperature: 0.7,
    messages: [
      { role: 'system', content: 'You answer from the handbook.\n\nContext:\nRefunds take 14 days.' },
      { role: 'user', content: 'Hi' },
      { role: 'assistant', content: 'Hello!' },
      { role: 'user', content: 'How long do refunds take?' },
    ],
    context: [],
    signal: new AbortController().signal,
    ...overrides,
  };
}

describe('Anthropic provider against a local Messages API server', () => {
  let server: FakeLlmServer;
  beforeEach(async () => {
    server = await startFakeAnthropic({ tokens: ['Refunds', ' take', ' 14', ' days.'] });
  });
  afterEach(() => server.close());

  it('streams the text deltas in order, with the system prompt apart from the turns', async () => {
    const tokens = await collect(provider(server.url).stream(request({ model: 'claude-haiku-4-5' })));

    expect(tokens).toEqual(['Refunds', ' take', ' 14', ' days.']);
    const [sent] = server.requests;
    expect(sent.path).toBe('/v1/messages');
    // SDK 1.x sends the key as a bearer token (older versions used x-api-key).
    expect(sent.headers.authorization ?? sent.headers['x-api-key']).toContain(KEY);
    expect(sent.body).toEqual({
      model: 'claude-haiku-4-5',
      max_tokens: 1024,
      stream: true,
      system: 'You answer from the handbook.\n\nContext:\nRefunds take 14 days.',
      messages: [
        { role: 'user', content: 'Hi' },
        { role: 'assistant', content: 'Hello!' },
        { role: 'user', content: 'How long do refunds take?' },
      ],
    });
  });

  it('uses the configured default model when the workspace names none', async () => {
    await collect(provider(server.url).stream(request()));
    expect(server.requests[0].body.model).toBe('claude-default');
  });

  it('stops the upstream request when the signal aborts', async () => {
    server.set({ tokens: Array.from({ length: 1000 }, (_, i) => ` t${i}`), delayMs: 5 });
    const controller = new AbortController();
    const tokens: string[] = [];
    for await (const token of provider(server.url).stream(request({ signal: controller.signal }))) {
      tokens.push(token);
      if (tokens.length === 2) controller.abort();
    }
    await server.requests[0].finished;
    expect(tokens).toEqual([' t0', ' t1']);
    expect(server.requests[0].aborted).toBe(true);
  });

  it.each([
    [401, 'invalid x-api-key', 'The Anthropic API rejected the API key (HTTP 401).'],
    [
      429,
      'Number of request tokens has exceeded your rate limit',
      'The Anthropic API is rate limiting requests or is out of quota (HTTP 429); try again later.',
    ],
    [529, 'Overloaded', 'The Anthropic API failed (HTTP 529); try again later.'],
  ])('maps HTTP %i to a clean LlmError', async (status, upstream, expected) => {
    server.set({ status, errorMessage: upstream });
    const error = await failure(provider(server.url).stream(request()));
    expect(error.message).toBe(expected);
    expect(error.message).not.toContain(KEY);
    expect(server.requests).toHaveLength(1);
  });

  it('names the model a 404 did not find', async () => {
    server.set({ models: ['claude-sonnet-4-5'] });
    const error = await failure(provider(server.url).stream(request({ model: 'claude-imaginary' })));
    expect(error.message).toBe(
      'Model "claude-imaginary" was not found at the Anthropic API (HTTP 404): check the model name and the base URL.',
    );
  });

  it('reports an error event in the middle of the stream', async () => {
    server.set({ errorAfter: 1, errorMessage: 'Overloaded' });
    const error = await failure(provider(server.url).stream(request()));
    expect(error.message).toBe('The Anthropic API reported an error mid-answer: Overloaded');
  });

  it('times out a stalled stream and closes the request', async () => {
    server.set({ stallAfter: 1 });
    const error = await failure(provider(server.url, { timeoutMs: 300 }).stream(request()));
    expect(error.message).toBe('The Anthropic API did not answer within 0.3 s.');
    await server.requests[0].finished;
    expect(server.requests[0].aborted).toBe(true);
  });

  it('reports a refused connection', async () => {
    const url = server.url;
    await server.close();
    const error = await failure(provider(url).stream(request()));
    expect(error.message).toBe(`Could not connect to the Anthropic API at ${url} (connection refused).`);
    server = await startFakeAnthropic();
  });
});

describe('toMessagesApi', () => {
  it('joins system messages, merges same-role turns, drops empty ones and starts with the user', () => {
    expect(
      toMessagesApi([
        { role: 'system', content: 'Be brief.' },
        { role: 'assistant', content: 'Stray greeting' },
        { role: 'user', content: 'First' },
        { role: 'user', content: 'Second' },
        { role: 'assistant', content: '' },
        { role: 'system', content: 'Context: none.' },
        { role: 'assistant', content: 'Answer' },
        { role: 'user', content: 'Next' },
      ]),
    ).toEqual({
      system: 'Be brief.\n\nContext: none.',
      turns: [
        { role: 'user', content: 'First\n\nSecond' },
        { role: 'assistant', content: 'Answer' },
        { role: 'user', content: 'Next' },
      ],
    });
  });
});
