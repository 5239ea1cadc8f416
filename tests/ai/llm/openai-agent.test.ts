import type { AgentMessage, AgentToolSpec, AgentTurnRequest } from '../../../src/ai/llm/agent-port.js';
import { OpenAiProvider } from '../../../src/ai/llm/openai.js';
import { ChunkAssembler, toChatCompletions } from '../../../src/ai/llm/openai-agent.js';
import { LlmError } from '../../../src/ai/llm/port.js';
import { abortedMidTurn, turnFailure, turnRequest, WEATHER_TOOL } from '../../support/agent-turns.js';
import { agentTurnOf, type FakeLlmServer, startFakeAgentOpenAi } from '../../support/fake-agent-providers.js';

const KEY = 'sk-test-0123456789abcdefghijklmnop';

const SEARCH: AgentToolSpec = {
  name: 'search_documents',
  description: "Searches the workspace's documents.",
  parameters: { type: 'object', properties: { query: { type: 'string' } }, required: ['query'] },
};
const ASKED: AgentMessage[] = [
  { role: 'system', content: 'You are a helpful agent.' },
  { role: 'user', content: 'What is the weather in Oslo, and what does the handbook say about rain?' },
];
const CALLED: AgentMessage = {
  role: 'assistant',
  content: 'Let me check.',
  toolCalls: [
    { id: 'call_a', name: 'get_weather', arguments: { city: 'Oslo' } },
    { id: 'call_b', name: 'search_documents', arguments: { query: 'rain' } },
  ],
};
const ANSWERED: AgentMessage[] = [
  CALLED,
  { role: 'tool', callId: 'call_a', name: 'get_weather', content: '{"sky":"rain","celsius":7}', isError: false },
  { role: 'tool', callId: 'call_b', name: 'search_documents', content: 'The index is rebuilding.', isError: true },
];

function agent(baseUrl: string, timeoutMs = 5_000) {
  return new OpenAiProvider({ apiKey: KEY, baseUrl, model: 'default-model', timeoutMs, maxRetries: 0 });
}

const request = (messages: AgentMessage[], overrides: Partial<AgentTurnRequest> = {}) =>
  turnRequest(messages, [WEATHER_TOOL, SEARCH], overrides);

describe('OpenAI-compatible agent turn against a local server streaming tool_calls deltas', () => {
  let server: FakeLlmServer;
  afterEach(() => server.close());

  it('assembles tool calls whose arguments are spread over many chunks, in order, with their ids', async () => {
    server = await startFakeAgentOpenAi([
      {
        text: 'Let me check.',
        toolCalls: [
          { id: 'call_a', name: 'get_weather', arguments: { city: 'Oslo', units: 'metric' } },
          { name: 'search_documents', arguments: { query: 'rain "heavy" ünïcödé' } },
        ],
        usage: { inputTokens: 120, outputTokens: 33 },
      },
    ]);
    const turn = await agent(server.url).turn(request(ASKED, { model: 'gpt-4.1' }));

    expect(turn).toEqual({
      text: 'Let me check.',
      toolCalls: [
        { id: 'call_a', name: 'get_weather', arguments: { city: 'Oslo', units: 'metric' } },
        { id: 'call_0_2', name: 'search_documents', arguments: { query: 'rain "heavy" ünïcödé' } },
      ],
      usage: { inputTokens: 120, outputTokens: 33 },
    });
    expect(server.requests[0].body).toEqual({
      model: 'gpt-4.1',
      temperature: 0.2,
      stream: true,
      stream_options: { include_usage: true },
      messages: ASKED,
      tools: [
        {
          type: 'function',
          function: { name: 'get_weather', description: WEATHER_TOOL.description, parameters: WEATHER_TOOL.parameters },
        },
        {
          type: 'function',
          function: { name: 'search_documents', description: SEARCH.description, parameters: SEARCH.parameters },
        },
      ],
    });
  });

  it('sends the calls and their results back in chat completions form and returns the final answer', async () => {
    server = await startFakeAgentOpenAi((seen) => ({
      text: `Oslo: ${JSON.parse(seen.toolResults[0].content).sky}.`,
    }));
    const turn = await agent(server.url).turn(request([...ASKED, ...ANSWERED]));

    expect(turn.text).toBe('Oslo: rain.');
    expect(turn.toolCalls).toEqual([]);
    expect(turn.usage).not.toBeNull();
    expect(server.requests[0].body.messages.slice(2)).toEqual([
      {
        role: 'assistant',
        content: 'Let me check.',
        tool_calls: [
          { id: 'call_a', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Oslo"}' } },
          { id: 'call_b', type: 'function', function: { name: 'search_documents', arguments: '{"query":"rain"}' } },
        ],
      },
      { role: 'tool', tool_call_id: 'call_a', content: '{"sky":"rain","celsius":7}' },
      { role: 'tool', tool_call_id: 'call_b', content: 'Error: The index is rebuilding.' },
    ]);
    expect(agentTurnOf(server.requests[0]).turn).toBe(1);
  });

  it('reports no usage when the endpoint sends no usage chunk, and sends no tools when none are offered', async () => {
    server = await startFakeAgentOpenAi([{ text: 'Hello there.', usage: null }]);
    const turn = await agent(server.url).turn(request(ASKED, { tools: [] }));
    expect(turn).toEqual({ text: 'Hello there.', toolCalls: [], usage: null });
    expect(server.requests[0].body).not.toHaveProperty('tools');
  });

  it('stops asking for usage from a gateway that refuses stream_options', async () => {
    server = await startFakeAgentOpenAi([{ text: 'Fine.' }], {
      status: (body) => (body.stream_options ? 400 : null),
      errorMessage: 'Unrecognized request argument supplied: stream_options',
    });
    const model = agent(server.url);
    expect(await model.turn(request(ASKED))).toEqual({ text: 'Fine.', toolCalls: [], usage: null });
    expect(await model.turn(request(ASKED))).toEqual({ text: 'Fine.', toolCalls: [], usage: null });
    expect(server.requests.map((r) => 'stream_options' in r.body)).toEqual([true, false, false]);
  });

  it('does not retry other 400s', async () => {
    server = await startFakeAgentOpenAi([{ text: 'unused' }], {
      status: 400,
      errorMessage: 'Invalid schema for get_weather',
    });
    const error = await turnFailure(agent(server.url).turn(request(ASKED)));
    expect(error.message).toBe(
      'The OpenAI-compatible endpoint rejected the request (HTTP 400): Invalid schema for get_weather',
    );
    expect(server.requests).toHaveLength(1);
  });

  it.each([
    ['{"city": "Oslo"', 'The model called the tool "get_weather" with arguments that are not valid JSON.'],
    ['["Oslo"]', 'The model called the tool "get_weather" with arguments that are not a JSON object.'],
  ])('fails the turn with a clear LlmError for arguments %s, and keeps serving', async (raw, message) => {
    server = await startFakeAgentOpenAi([{ toolCalls: [{ name: 'get_weather', arguments: raw }] }]);
    await expect(agent(server.url).turn(request(ASKED))).rejects.toEqual(new LlmError(message));

    server.set({ frames: null, tokens: ['still', ' here'] });
    expect((await agent(server.url).turn(request(ASKED))).text).toBe('still here');
  });

  it('says so when the token limit cut a tool call short', async () => {
    server = await startFakeAgentOpenAi([
      { toolCalls: [{ name: 'get_weather', arguments: '{"city": "Os' }], cutOff: true },
    ]);
    await expect(agent(server.url).turn(request(ASKED))).rejects.toEqual(
      new LlmError('The model reached its output token limit in the middle of its call of the tool "get_weather".'),
    );
  });

  it('takes empty arguments as an empty object', async () => {
    server = await startFakeAgentOpenAi([{ toolCalls: [{ id: 'c1', name: 'list_documents', arguments: '' }] }]);
    const turn = await agent(server.url).turn(request(ASKED));
    expect(turn.toolCalls).toEqual([{ id: 'c1', name: 'list_documents', arguments: {} }]);
  });

  it('stops the upstream request when the signal aborts mid-stream and resolves empty', async () => {
    server = await startFakeAgentOpenAi([{ text: Array.from({ length: 1000 }, (_, i) => `w${i}`).join(' ') }], {
      delayMs: 5,
    });
    const { turn, upstreamAborted } = await abortedMidTurn(agent(server.url), server, request(ASKED));
    expect(turn).toEqual({ text: '', toolCalls: [], usage: null });
    expect(upstreamAborted).toBe(true);
  });

  it('maps an upstream 500 to a clean LlmError, without stack or body', async () => {
    server = await startFakeAgentOpenAi([{ text: 'unused' }], {
      status: 500,
      errorMessage: `Traceback (most recent call last): key ${KEY}`,
    });
    const error = await turnFailure(agent(server.url).turn(request(ASKED)));
    expect(error.message).toBe('The OpenAI-compatible endpoint failed (HTTP 500); try again later.');
    expect(error.message).not.toMatch(/Traceback|sk-test|\bat .+:\d+:\d+/);
  });

  it('times out an endpoint that stops sending between chunks, and closes the request', async () => {
    server = await startFakeAgentOpenAi([{ toolCalls: [{ name: 'get_weather', arguments: { city: 'Oslo' } }] }], {
      stallAfter: 2,
    });
    const error = await turnFailure(agent(server.url, 300).turn(request(ASKED)));
    expect(error.message).toBe('The OpenAI-compatible endpoint did not answer within 0.3 s.');
    await server.requests[0].finished;
    expect(server.requests[0].aborted).toBe(true);
  });

  it('reports a connection lost mid-turn', async () => {
    server = await startFakeAgentOpenAi([{ toolCalls: [{ name: 'get_weather', arguments: { city: 'Oslo' } }] }], {
      dropAfter: 2,
      delayMs: 5, // the headers reach the client before the connection drops
    });
    const error = await turnFailure(agent(server.url).turn(request(ASKED)));
    expect(error.message).toBe('The connection to the OpenAI-compatible endpoint was lost mid-answer.');
  });
});

describe('chat completions chunk assembly', () => {
  const chunk = (delta: object | null, usage: object | null = null) =>
    ({
      id: 'c',
      object: 'chat.completion.chunk',
      created: 0,
      model: 'm',
      choices: delta ? [{ index: 0, delta, finish_reason: null }] : [],
      usage,
    }) as never;

  it('keys deltas by index: id and name from the first, arguments joined from all', () => {
    const assembler = new ChunkAssembler();
    assembler.add(chunk({ role: 'assistant', content: null }));
    assembler.add(
      chunk({ tool_calls: [{ index: 1, id: 'b', type: 'function', function: { name: 'two', arguments: '' } }] }),
    );
    assembler.add(
      chunk({ tool_calls: [{ index: 0, id: 'a', type: 'function', function: { name: 'one', arguments: '{"x"' } }] }),
    );
    assembler.add(chunk({ tool_calls: [{ index: 1, function: { arguments: '{"y":' } }] }));
    assembler.add(chunk({ tool_calls: [{ index: 0, function: { arguments: ':1}' } }] }));
    assembler.add(chunk({ tool_calls: [{ index: 1, function: { arguments: '2}' } }] }));
    assembler.add(chunk(null, { prompt_tokens: 9, completion_tokens: 4, total_tokens: 13 }));
    expect(assembler.turn()).toEqual({
      text: '',
      toolCalls: [
        { id: 'a', name: 'one', arguments: { x: 1 } },
        { id: 'b', name: 'two', arguments: { y: 2 } },
      ],
      usage: { inputTokens: 9, outputTokens: 4 },
    });
  });
});

describe('chat completions refusals', () => {
  it('answers with the refusal the model streamed instead of content', () => {
    const assembler = new ChunkAssembler();
    for (const refusal of ["I can't", ' help with that.'])
      assembler.add({
        id: 'c',
        object: 'chat.completion.chunk',
        created: 0,
        model: 'm',
        choices: [{ index: 0, delta: { content: null, refusal }, finish_reason: null }],
      });
    expect(assembler.turn()).toEqual({ text: "I can't help with that.", toolCalls: [], usage: null });
  });
});

describe('agent history in chat completions form', () => {
  it('keeps system and user messages, gives a tool-calling assistant null content when it said nothing', () => {
    expect(
      toChatCompletions([
        ...ASKED,
        { role: 'assistant', content: '', toolCalls: [{ id: 'x', name: 'list_documents', arguments: {} }] },
        { role: 'tool', callId: 'x', name: 'list_documents', content: '[]', isError: false },
        { role: 'assistant', content: 'Nothing there.', toolCalls: [] },
      ]).slice(2),
    ).toEqual([
      {
        role: 'assistant',
        content: null,
        tool_calls: [{ id: 'x', type: 'function', function: { name: 'list_documents', arguments: '{}' } }],
      },
      { role: 'tool', tool_call_id: 'x', content: '[]' },
      { role: 'assistant', content: 'Nothing there.' },
    ]);
  });
});
