/** The agent invocations read model: one document per invocation, its steps in the order recorded. */
import type { AgentEvent } from '../../src/domain/agents/events.js';
import { AGENT_INVOCATIONS, agentInvocationsProjection } from '../../src/projections/agent-invocations/projection.js';
import { projectionSpec } from '../support/projection-spec.js';

const spec = projectionSpec(agentInvocationsProjection);
const at = '2026-01-01T00:00:00.000Z';
const base = { invocationId: 'inv-1', workspaceId: 9 };
const tool = { name: 'get_weather', description: '', parameters: { type: 'object' } };

const invoked: AgentEvent = {
  type: 'AgentInvoked',
  data: { ...base, userId: 3, message: 'Weather?', clientTools: [tool], at },
};
const called: AgentEvent = {
  type: 'AgentToolCalled',
  data: { ...base, callId: 'c1', name: 'get_weather', arguments: { city: 'Oslo' }, side: 'client', step: 1, at },
};
const responded: AgentEvent = {
  type: 'AgentToolResponded',
  data: { ...base, callId: 'c1', name: 'get_weather', result: 'Sunny', error: null, truncated: false, at },
};
const said: AgentEvent = {
  type: 'AgentMessageSent',
  data: { ...base, content: 'Sunny.', final: true, tool: null, step: 2, at },
};
const closed: AgentEvent = {
  type: 'AgentInvocationClosed',
  data: { ...base, reason: 'completed', steps: 2, tokens: { input: 30, output: 8 }, error: null, at },
};

describe('agent invocations projection', () => {
  it('given a whole invocation, then it is closed with its steps in order', () =>
    spec.given(invoked, called, responded, said, closed).then(AGENT_INVOCATIONS, [
      {
        _id: 'inv-1',
        id: 'inv-1',
        workspace: 9,
        user: 3,
        message: 'Weather?',
        tools: [tool],
        status: 'closed',
        reason: 'completed',
        step_count: 2,
        tokens: { input: 30, output: 8 },
        error: null,
        created_at: at,
        closed_at: at,
        steps: [
          {
            kind: 'tool_call',
            call_id: 'c1',
            name: 'get_weather',
            arguments: { city: 'Oslo' },
            side: 'client',
            step: 1,
            at,
          },
          {
            kind: 'tool_response',
            call_id: 'c1',
            name: 'get_weather',
            result: 'Sunny',
            error: null,
            truncated: false,
            at,
          },
          { kind: 'message', content: 'Sunny.', final: true, tool: null, step: 2, at },
        ],
      },
    ]));

  it('given the events delivered again, then no step is doubled', () =>
    spec.given(invoked, called, responded, said, closed).thenRedeliveryChangesNothing());

  it('given its workspace deleted, then the invocation goes with it', () =>
    spec
      .given(invoked, called, { type: 'WorkspaceDeleted', data: { workspaceId: 9, deletedBy: 1, at } })
      .then(AGENT_INVOCATIONS, []));
});
