/**
 * Agent turns asked of a provider adapter in tests: the request, and what a failed or aborted turn
 * came to. The fake models that answer them are in fake-agent-providers.ts.
 */
import type {
  AgentMessage,
  AgentModel,
  AgentToolSpec,
  AgentTurn,
  AgentTurnRequest,
} from '../../src/ai/llm/agent-port.js';
import { LlmError } from '../../src/ai/llm/port.js';
import type { FakeLlmServer } from './fake-llm-server.js';

/** A tool the client declares, with one required argument. */
export const WEATHER_TOOL: AgentToolSpec = {
  name: 'get_weather',
  description: 'The weather of a city.',
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
};

/** A turn on the provider's default model at temperature 0.2 offering `tools`, unless `overrides` say otherwise. */
export function turnRequest(
  messages: AgentMessage[],
  tools: AgentToolSpec[],
  overrides: Partial<AgentTurnRequest> = {},
): AgentTurnRequest {
  return { model: null, temperature: 0.2, messages, tools, signal: new AbortController().signal, ...overrides };
}

/** The LlmError a turn fails with; fails the test if it ends any other way. */
export async function turnFailure(turn: Promise<unknown>): Promise<LlmError> {
  try {
    await turn;
  } catch (err) {
    expect(err).toBeInstanceOf(LlmError);
    return err as LlmError;
  }
  throw new Error('expected the turn to fail');
}

/**
 * Starts a turn against the fake model, aborts its signal once the model has the request (mid-stream
 * when the model streams slowly), and returns what the turn came to and whether the model saw the
 * request closed before it finished answering.
 */
export async function abortedMidTurn(
  agent: AgentModel,
  model: FakeLlmServer,
  request: AgentTurnRequest,
): Promise<{ turn: AgentTurn; upstreamAborted: boolean }> {
  const controller = new AbortController();
  const pending = agent.turn({ ...request, signal: controller.signal });
  await until(() => model.requests.length === 1);
  controller.abort();
  const turn = await pending;
  await model.requests[0].finished;
  return { turn, upstreamAborted: model.requests[0].aborted };
}

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
  if (!condition()) throw new Error('condition not met');
}
