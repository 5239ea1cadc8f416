import type { AgentMessage, AgentModelChoice } from '../../../src/ai/llm/agent-port.js';
import { loadLlmConfig } from '../../../src/ai/llm/config.js';
import { LlmProviders } from '../../../src/ai/llm/select.js';
import { DEFAULT_WORKSPACE_SETTINGS } from '../../../src/domain/workspaces/settings.js';
import { WEATHER_TOOL } from '../../support/agent-turns.js';
import {
  type AgentScript,
  agentTurnOf,
  type FakeLlmServer,
  startFakeAgentAnthropic,
  startFakeAgentOpenAi,
} from '../../support/fake-agent-providers.js';

/*
 * The loop an agent runtime runs, against each provider chosen by selectAgent: a turn asks for a
 * tool, the tool's result goes back as a `tool` message with the call's id, the next turn answers.
 */
const script: AgentScript = (seen) =>
  seen.toolResults.length === 0
    ? { toolCalls: [{ name: 'get_weather', arguments: { city: seen.lastUserMessage.split(' ').at(-1) } }] }
    : { text: `It is ${seen.toolResults[0].content} there.` };

async function runAgent({ agent, model }: AgentModelChoice, question: string) {
  const messages: AgentMessage[] = [{ role: 'user', content: question }];
  for (let step = 0; step < 4; step++) {
    const turn = await agent.turn({
      model,
      temperature: 0,
      messages,
      tools: [WEATHER_TOOL],
      signal: new AbortController().signal,
    });
    messages.push({ role: 'assistant', content: turn.text, toolCalls: turn.toolCalls });
    if (turn.toolCalls.length === 0) return { answer: turn.text, messages };
    for (const call of turn.toolCalls) {
      const weather = call.arguments.city === 'Oslo' ? 'sunny' : 'cloudy';
      messages.push({ role: 'tool', callId: call.id, name: call.name, content: weather, isError: false });
    }
  }
  throw new Error('the agent did not answer');
}

describe.each([
  ['openai', startFakeAgentOpenAi, (url: string) => ({ OPENAI_BASE_URL: url })],
  ['anthropic', startFakeAgentAnthropic, (url: string) => ({ ANTHROPIC_API_KEY: 'k', ANTHROPIC_BASE_URL: url })],
] as const)('an agent round trip through %s', (name, start, env) => {
  let server: FakeLlmServer;
  beforeAll(async () => {
    server = await start(script);
  });
  afterAll(() => server.close());

  it('calls the tool, sends its result back under the call id, and answers', async () => {
    const providers = new LlmProviders(loadLlmConfig({ LLM_PROVIDER: name, ...env(server.url) }));
    const choice = providers.selectAgent({ ...DEFAULT_WORKSPACE_SETTINGS, chatProvider: null, chatModel: 'm-1' });

    const { answer, messages } = await runAgent(choice, 'Weather in Oslo');

    expect(answer).toBe('It is sunny there.');
    const call = (messages[1] as Extract<AgentMessage, { role: 'assistant' }>).toolCalls[0];
    expect(call).toMatchObject({ name: 'get_weather', arguments: { city: 'Oslo' } });
    const second = agentTurnOf(server.requests.at(-1)!);
    expect(second.toolResults).toEqual([{ callId: call.id, content: 'sunny', isError: false }]);
    expect(server.requests.at(-1)!.body.model).toBe('m-1');
  });

  it('keeps concurrent invocations apart: each follows its own script', async () => {
    const providers = new LlmProviders(loadLlmConfig({ LLM_PROVIDER: name, ...env(server.url) }));
    const choice = providers.selectAgent({ ...DEFAULT_WORKSPACE_SETTINGS, chatProvider: null, chatModel: null });
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) => runAgent(choice, i % 2 ? 'Weather in Oslo' : 'Weather in Bergen')),
    );
    expect(answers.map((a) => a.answer)).toEqual(
      Array.from({ length: 20 }, (_, i) => (i % 2 ? 'It is sunny there.' : 'It is cloudy there.')),
    );
  });
});
