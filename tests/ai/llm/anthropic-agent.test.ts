import type { AgentMessage, AgentTurnRequest } from '../../../src/ai/llm/agent-port.js';
import { AnthropicProvider } from '../../../src/ai/llm/anthropic.js';
import { EventAssembler, toAgentMessagesApi } from '../../../src/ai/llm/anthropic-agent.js';
import { LlmError } from '../../../src/ai/llm/port.js';
import { abortedMidTurn, turnFailure, turnRequest, WEATHER_TOOL } from '../../support/agent-turns.js';
import { agentTurnOf, type FakeLlmServer, startFakeAgentAnthropic } from '../../support/fake-agent-providers.js';

const KEY = 'sk-ant-test-0123456789abcdefghij';

const ASKED: AgentMessage[] = [
  { role: 'system', content: 'You are a helpful agent.' },
  { role: 'user', content: 'What is the weather in Oslo and Bergen?' },
];
const ANSWERED: AgentMessage[] = [
  {
    role: 'assistant',
    content: 'Checking both.',
    toolCalls: [
      { id: 'toolu_a', name: 'get_weather', arguments: { city: 'Oslo' } },
      { id: 'toolu_b', name: 'get_weather', arguments: { city: 'Bergen' } },
    ],
  },
  { role: 'tool', callId: 'toolu_a', name: 'get_weather', content: 'rain, 7 °C', isError: false },
  { role: 'tool', callId: 'toolu_b', name: 'get_weather', content: 'No station in Bergen.', isError: true },
];

function agent(baseUrl: string, timeoutMs = 5_000) {
  return new AnthropicProvider({
    apiKey: KEY,
    baseUrl,
    model: 'claude-default',
    maxTokens: 1024,
    timeoutMs,
    maxRetries: 0,
  });
}

const request = (messages: AgentMessage[], overrides: Partial<AgentTurnRequest> = {}) =>
  turnRequest(messages, [WEATHER_TOOL], overrides);

describe('Anthropic agent turn against a local server streaming tool_use blocks', () => {
  let server: FakeLlmServer;
  afterEach(() => server.close());

  it('assembles tool_use inputs from input_json_delta pieces, with text and usage', async () => {
    server = await startFakeAgentAnthropic([
      {
        text: 'Checking both.',
        toolCalls: [
          { id: 'toolu_a', name: 'get_weather', arguments: { city: 'Oslo', detail: { wind: true } } },
          { name: 'get_weather', arguments: { city: 'Bergen' } },
        ],
        usage: { inputTokens: 240, outputTokens: 61 },
      },
    ]);
    const turn = await agent(server.url).turn(request(ASKED, { model: 'claude-haiku-4-5' }));

    expect(turn).toEqual({
      text: 'Checking both.',
      toolCalls: [
        { id: 'toolu_a', name: 'get_weather', arguments: { city: 'Oslo', detail: { wind: true } } },
        { id: 'toolu_0_2', name: 'get_weather', arguments: { city: 'Bergen' } },
      ],
      usage: { inputTokens: 240, outputTokens: 61 },
    });
    expect(server.requests[0].body).toEqual({
      model: 'claude-haiku-4-5',
      max_tokens: 1024,
      stream: true,
      system: 'You are a helpful agent.',
      messages: [{ role: 'user', content: [{ type: 'text', text: 'What is the weather in Oslo and Bergen?' }] }],
      tools: [{ name: 'get_weather', description: WEATHER_TOOL.description, input_schema: WEATHER_TOOL.parameters }],
    });
  });

  it('sends tool_use blocks in the assistant turn and tool_result blocks in the next user turn', async () => {
    server = await startFakeAgentAnthropic((seen) => ({ text: `Oslo: ${seen.toolResults[0].content}.` }));
    const turn = await agent(server.url).turn(request([...ASKED, ...ANSWERED]));

    expect(turn.text).toBe('Oslo: rain, 7 °C.');
    expect(turn.toolCalls).toEqual([]);
    expect(server.requests[0].body.messages.slice(1)).toEqual([
      {
        role: 'assistant',
        content: [
          { type: 'text', text: 'Checking both.' },
          { type: 'tool_use', id: 'toolu_a', name: 'get_weather', input: { city: 'Oslo' } },
          { type: 'tool_use', id: 'toolu_b', name: 'get_weather', input: { city: 'Bergen' } },
        ],
      },
      {
        role: 'user',
        content: [
          { type: 'tool_result', tool_use_id: 'toolu_a', content: 'rain, 7 °C' },
          { type: 'tool_result', tool_use_id: 'toolu_b', content: 'No station in Bergen.', is_error: true },
        ],
      },
    ]);
    expect(agentTurnOf(server.requests[0])).toMatchObject({
      turn: 1,
      toolResults: [
        { callId: 'toolu_a', content: 'rain, 7 °C', isError: false },
        { callId: 'toolu_b', content: 'No station in Bergen.', isError: true },
      ],
    });
  });

  it('sends no tools when none are offered', async () => {
    server = await startFakeAgentAnthropic([{ text: 'Hello.' }]);
    const turn = await agent(server.url).turn(request(ASKED, { tools: [] }));
    expect(turn.text).toBe('Hello.');
    expect(server.requests[0].body).not.toHaveProperty('tools');
  });

  it('fails the turn with a clear LlmError for a tool input that is not JSON', async () => {
    server = await startFakeAgentAnthropic([{ toolCalls: [{ name: 'get_weather', arguments: '{"city": Oslo}' }] }]);
    await expect(agent(server.url).turn(request(ASKED))).rejects.toEqual(
      new LlmError('The model called the tool "get_weather" with arguments that are not valid JSON.'),
    );
  });

  it('says so when max_tokens cut a tool call short', async () => {
    server = await startFakeAgentAnthropic([{ toolCalls: [{ name: 'get_weather', arguments: '{"ci' }], cutOff: true }]);
    await expect(agent(server.url).turn(request(ASKED))).rejects.toEqual(
      new LlmError('The model reached its output token limit in the middle of its call of the tool "get_weather".'),
    );
  });

  it('stops the upstream request when the signal aborts mid-stream and resolves empty', async () => {
    server = await startFakeAgentAnthropic([{ text: Array.from({ length: 1000 }, (_, i) => `w${i}`).join(' ') }], {
      delayMs: 5,
    });
    const { turn, upstreamAborted } = await abortedMidTurn(agent(server.url), server, request(ASKED));
    expect(turn).toEqual({ text: '', toolCalls: [], usage: null });
    expect(upstreamAborted).toBe(true);
  });

  it('maps an upstream 500 to a clean LlmError, without stack or body', async () => {
    server = await startFakeAgentAnthropic([{ text: 'unused' }], {
      status: 500,
      errorMessage: `Internal error for key ${KEY}`,
    });
    const error = await turnFailure(agent(server.url).turn(request(ASKED)));
    expect(error.message).toBe('The Anthropic API failed (HTTP 500); try again later.');
    expect(error.message).not.toMatch(/Internal error|sk-ant|\bat .+:\d+:\d+/);
  });

  it('reports an error event in the middle of the stream', async () => {
    server = await startFakeAgentAnthropic([{ toolCalls: [{ name: 'get_weather', arguments: { city: 'Oslo' } }] }], {
      errorAfter: 2,
      errorMessage: 'Overloaded',
    });
    const error = await turnFailure(agent(server.url).turn(request(ASKED)));
    expect(error.message).toBe('The Anthropic API reported an error mid-answer: Overloaded');
  });

  it('times out a stream that stalls between events, and closes the request', async () => {
    server = await startFakeAgentAnthropic([{ toolCalls: [{ name: 'get_weather', arguments: { city: 'Oslo' } }] }], {
      stallAfter: 2,
    });
    const error = await turnFailure(agent(server.url, 300).turn(request(ASKED)));
    expect(error.message).toBe('The Anthropic API did not answer within 0.3 s.');
    await server.requests[0].finished;
    expect(server.requests[0].aborted).toBe(true);
  });
});

describe('Messages API stream event assembly', () => {
  it('takes input tokens from message_start and the cumulative counts of message_delta, cache included', () => {
    const assembler = new EventAssembler();
    const events = [
      {
        type: 'message_start',
        message: { usage: { input_tokens: 10, cache_read_input_tokens: 90, output_tokens: 1 } },
      },
      { type: 'content_block_start', index: 0, content_block: { type: 'tool_use', id: 't', name: 'n', input: {} } },
      { type: 'content_block_delta', index: 0, delta: { type: 'input_json_delta', partial_json: '' } },
      { type: 'content_block_stop', index: 0 },
      { type: 'message_delta', delta: { stop_reason: 'tool_use' }, usage: { output_tokens: 25 } },
      { type: 'message_stop' },
    ];
    for (const event of events) assembler.add(event as never);
    expect(assembler.turn()).toEqual({
      text: '',
      toolCalls: [{ id: 't', name: 'n', arguments: {} }],
      usage: { inputTokens: 100, outputTokens: 25 },
    });
  });
});

describe('agent history in Messages API form', () => {
  it('keeps the alternation rules: system apart, leading assistant dropped, same roles merged, results first', () => {
    expect(
      toAgentMessagesApi([
        { role: 'system', content: 'Be brief.' },
        { role: 'assistant', content: 'Stray greeting', toolCalls: [] },
        { role: 'user', content: 'First' },
        { role: 'user', content: 'Second' },
        { role: 'assistant', content: '', toolCalls: [{ id: 'x', name: 'list_documents', arguments: {} }] },
        { role: 'user', content: 'Also, hurry.' },
        { role: 'tool', callId: 'x', name: 'list_documents', content: '', isError: false },
        { role: 'assistant', content: '', toolCalls: [] },
        { role: 'system', content: 'Context: none.' },
      ]),
    ).toEqual({
      system: 'Be brief.\n\nContext: none.',
      turns: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'First' },
            { type: 'text', text: 'Second' },
          ],
        },
        { role: 'assistant', content: [{ type: 'tool_use', id: 'x', name: 'list_documents', input: {} }] },
        {
          role: 'user',
          content: [
            { type: 'tool_result', tool_use_id: 'x' },
            { type: 'text', text: 'Also, hurry.' },
          ],
        },
      ],
    });
  });
});
