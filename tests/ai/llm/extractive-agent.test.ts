import type { AgentMessage, AgentToolSpec, AgentTurnRequest } from '../../../src/ai/llm/agent-port.js';
import { composeAnswer, NOTHING_FOUND } from '../../../src/ai/llm/extractive.js';
import { ExtractiveAgent, passagesOf } from '../../../src/ai/llm/extractive-agent.js';

const SEARCH: AgentToolSpec = {
  name: 'search_documents',
  description: "Searches the workspace's documents.",
  parameters: { type: 'object', properties: { query: { type: 'string' } }, required: ['query'] },
};
const WEATHER: AgentToolSpec = {
  name: 'get_weather',
  description: 'The weather of a city.',
  parameters: { type: 'object', properties: { city: { type: 'string' } } },
};
const QUESTION = 'How long until refunds are paid?';
const RESULTS = JSON.stringify({
  results: [
    {
      document_id: 1,
      filename: 'handbook.md',
      chunk: 2,
      text: 'Our office opens at nine. Refunds are paid within 14 days of the return.',
      score: 0.8,
    },
    { document_id: 2, filename: 'menu.txt', chunk: 0, text: 'The canteen serves soup on Mondays.', score: 0.2 },
  ],
});

function request(messages: AgentMessage[], tools: AgentToolSpec[] = [SEARCH, WEATHER]): AgentTurnRequest {
  return { model: null, temperature: 0, messages, tools, signal: new AbortController().signal };
}

const asked: AgentMessage[] = [
  { role: 'system', content: 'You are a helpful agent.' },
  { role: 'user', content: QUESTION },
];
const searched = (id = 'search_1'): AgentMessage => ({
  role: 'assistant',
  content: '',
  toolCalls: [{ id, name: 'search_documents', arguments: { query: QUESTION } }],
});
const answered = (content: string, isError = false, callId = 'search_1'): AgentMessage => ({
  role: 'tool',
  callId,
  name: 'search_documents',
  content,
  isError,
});

describe('extractive agent', () => {
  const agent = new ExtractiveAgent();

  it('given a question and the search tool, when it takes its first turn, then it searches for the question', async () => {
    const turn = await agent.turn(request(asked));
    expect(turn).toEqual({
      text: '',
      toolCalls: [{ id: 'search_1', name: 'search_documents', arguments: { query: QUESTION } }],
      usage: null,
    });
  });

  it('given search results, when it takes its next turn, then it answers from their passages and calls nothing', async () => {
    const turn = await agent.turn(request([...asked, searched(), answered(RESULTS)]));
    expect(turn.toolCalls).toEqual([]);
    expect(turn.text).toBe('From handbook.md:\nRefunds are paid within 14 days of the return.');
    expect(turn.text).toBe(composeAnswer(QUESTION, passagesOf(RESULTS)));
  });

  it('given results that are not JSON of the agreed shape, then it answers that it found nothing', async () => {
    for (const bad of ['not json', '{"results": "none"}', 'null', '{"results":[{"filename":"a.txt"}]}']) {
      const turn = await agent.turn(request([...asked, searched(), answered(bad)]));
      expect(turn).toEqual({ text: NOTHING_FOUND, toolCalls: [], usage: null });
    }
  });

  it('given a failed search, then it answers that it found nothing rather than searching again', async () => {
    const turn = await agent.turn(request([...asked, searched(), answered('The search index is unavailable.', true)]));
    expect(turn).toEqual({ text: NOTHING_FOUND, toolCalls: [], usage: null });
  });

  it('given no search tool offered, then it answers at once that it found nothing', async () => {
    const turn = await agent.turn(request(asked, [WEATHER]));
    expect(turn).toEqual({ text: NOTHING_FOUND, toolCalls: [], usage: null });
  });

  it('given results of an earlier question, when a new question comes, then it searches again with a fresh call id', async () => {
    const next = 'Is parking free?';
    const turn = await agent.turn(
      request([
        ...asked,
        searched(),
        answered(RESULTS),
        { role: 'assistant', content: 'From handbook.md: ...', toolCalls: [] },
        { role: 'user', content: next },
      ]),
    );
    expect(turn.toolCalls).toEqual([{ id: 'search_3', name: 'search_documents', arguments: { query: next } }]);
  });

  it('given a result answering another tool, then it still searches', async () => {
    const turn = await agent.turn(
      request([
        ...asked,
        { role: 'assistant', content: '', toolCalls: [{ id: 'w1', name: 'get_weather', arguments: { city: 'Oslo' } }] },
        { role: 'tool', callId: 'w1', name: 'get_weather', content: RESULTS, isError: false },
      ]),
    );
    expect(turn.toolCalls.map((c) => c.name)).toEqual(['search_documents']);
  });

  it('given an aborted signal, then it resolves empty', async () => {
    const controller = new AbortController();
    controller.abort();
    const turn = await agent.turn({ ...request(asked), signal: controller.signal });
    expect(turn).toEqual({ text: '', toolCalls: [], usage: null });
  });
});

describe('search result passages', () => {
  it('reads the agreed shape and skips items without text', () => {
    expect(
      passagesOf(
        '{"results":[{"document_id":1,"filename":"a.txt","chunk":0,"text":"Alpha.","score":0.8},{"document_id":2},"x",null]}',
      ),
    ).toEqual([{ documentId: 1, filename: 'a.txt', chunk: 0, text: 'Alpha.', score: 0.8 }]);
  });
});
