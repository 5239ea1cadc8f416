import type { AgentEvent } from '../../../src/domain/agents/events.js';
import { CALL_CANCELLED, invocationDecider, TOOL_RESULT_MAX_CHARS } from '../../../src/domain/agents/invocation.js';
import { eventLogName } from '../../../src/domain/event-logs/names.js';
import { specFor } from '../given-when-then.js';

const given = specFor(invocationDecider);
const now = new Date('2026-03-04T05:06:07.000Z');
const at = now.toISOString();
const base = { invocationId: 'inv-1', workspaceId: 9 };
const weatherTool = {
  name: 'get_weather',
  description: 'Weather in a city',
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
};

const invoked: AgentEvent = {
  type: 'AgentInvoked',
  data: { ...base, userId: 3, message: 'Weather in Oslo?', clientTools: [weatherTool], at },
};
const calledWeather: AgentEvent = {
  type: 'AgentToolCalled',
  data: { ...base, callId: 'c1', name: 'get_weather', arguments: { city: 'Oslo' }, side: 'client', step: 1, at },
};
const answeredWeather: AgentEvent = {
  type: 'AgentToolResponded',
  data: { ...base, callId: 'c1', name: 'get_weather', result: 'Sunny', error: null, truncated: false, at },
};
const closed: AgentEvent = {
  type: 'AgentInvocationClosed',
  data: { ...base, reason: 'completed', steps: 2, tokens: null, error: null, at },
};
const close = { type: 'CloseInvocation' as const, reason: 'closed' as const, steps: 1, tokens: null, error: null, now };

describe('agent invocation decider', () => {
  it('records the invocation as asked, with the tools the client declared', () =>
    given([])
      .when({ type: 'Invoke', ...base, userId: 3, message: 'Weather in Oslo?', clientTools: [weatherTool], now })
      .then([invoked]));

  it('never starts the same invocation twice', () =>
    given([invoked])
      .when({ type: 'Invoke', ...base, userId: 3, message: 'Again', clientTools: [], now })
      .thenThrows('conflict'));

  it('records a tool call with its arguments and side', () =>
    given([invoked])
      .when({
        type: 'CallTool',
        callId: 'c1',
        name: 'get_weather',
        arguments: { city: 'Oslo' },
        side: 'client',
        step: 1,
        now,
      })
      .then([calledWeather]));

  it('refuses a call id used before', () =>
    given([invoked, calledWeather, answeredWeather])
      .when({ type: 'CallTool', callId: 'c1', name: 'get_weather', arguments: {}, side: 'client', step: 2, now })
      .thenThrows('conflict'));

  it('records the answer to a pending call', () =>
    given([invoked, calledWeather])
      .when({ type: 'RespondToTool', callId: 'c1', result: 'Sunny', error: null, now })
      .then([answeredWeather]));

  it('refuses an answer to a call id the invocation never made', () =>
    given([invoked, calledWeather])
      .when({ type: 'RespondToTool', callId: 'nope', result: 'Sunny', error: null, now })
      .thenThrows('validation', 'call_id'));

  it('refuses a second answer to the same call', () =>
    given([invoked, calledWeather, answeredWeather])
      .when({ type: 'RespondToTool', callId: 'c1', result: 'Rain', error: null, now })
      .thenThrows('conflict'));

  it('keeps a long result up to its bound and says it was cut', () => {
    const state = [invoked, calledWeather].reduce(invocationDecider.evolve, invocationDecider.initialState());
    const [event] = invocationDecider.decide(
      { type: 'RespondToTool', callId: 'c1', result: 'x'.repeat(TOOL_RESULT_MAX_CHARS + 10), error: null, now },
      state,
    );
    expect(event.type).toBe('AgentToolResponded');
    expect((event.data as any).result).toHaveLength(TOOL_RESULT_MAX_CHARS);
    expect((event.data as any).truncated).toBe(true);
  });

  it('records an error answer', () =>
    given([invoked, calledWeather])
      .when({ type: 'RespondToTool', callId: 'c1', result: null, error: 'No such city', now })
      .then([
        {
          type: 'AgentToolResponded',
          data: {
            ...base,
            callId: 'c1',
            name: 'get_weather',
            result: null,
            error: 'No such city',
            truncated: false,
            at,
          },
        },
      ]));

  it('records what the agent said', () =>
    given([invoked])
      .when({ type: 'SendMessage', content: 'It is sunny.', final: true, tool: null, step: 2, now })
      .then([
        { type: 'AgentMessageSent', data: { ...base, content: 'It is sunny.', final: true, tool: null, step: 2, at } },
      ]));

  it('closing answers every pending call as cancelled in the same append', () =>
    given([invoked, calledWeather])
      .when(close)
      .then([
        {
          type: 'AgentToolResponded',
          data: {
            ...base,
            callId: 'c1',
            name: 'get_weather',
            result: null,
            error: CALL_CANCELLED,
            truncated: false,
            at,
          },
        },
        { type: 'AgentInvocationClosed', data: { ...base, reason: 'closed', steps: 1, tokens: null, error: null, at } },
      ]));

  it.each([
    ['a tool call', { type: 'CallTool', callId: 'c2', name: 'x', arguments: {}, side: 'server', step: 3, now }],
    ['an answer', { type: 'RespondToTool', callId: 'c1', result: 'late', error: null, now }],
    ['a message', { type: 'SendMessage', content: 'more', final: false, tool: null, step: 3, now }],
    ['a second close', close],
  ])('refuses %s after closing', (_what, command) =>
    given([invoked, calledWeather, answeredWeather, closed])
      .when(command as never)
      .thenThrows('conflict'),
  );

  it('knows no invocation that was never started', () => given([]).when(close).thenThrows('not_found'));

  it('logs its events under the agent_* names', () =>
    expect(
      ['AgentInvoked', 'AgentToolCalled', 'AgentToolResponded', 'AgentMessageSent', 'AgentInvocationClosed'].map(
        eventLogName,
      ),
    ).toEqual([
      'agent_invoked',
      'agent_tool_called',
      'agent_tool_responded',
      'agent_message',
      'agent_invocation_closed',
    ]));

  describe('closing an invocation its process left open', () => {
    const overdueAfterMs = 630_000;
    const overdue = { type: 'CloseOverdue' as const, overdueAfterMs, now: new Date(now.getTime() + overdueAfterMs) };
    const saidAtStep2: AgentEvent = {
      type: 'AgentMessageSent',
      data: { ...base, content: 'Checking', final: false, tool: null, step: 2, at },
    };
    const calledAtStep3: AgentEvent = {
      type: 'AgentToolCalled',
      data: { ...base, callId: 'c2', name: 'get_weather', arguments: { city: 'Bergen' }, side: 'client', step: 3, at },
    };
    const error = 'The invocation was still open 630000 ms after it started: its process had stopped.';
    const closedOverdue = (steps: number): AgentEvent => ({
      type: 'AgentInvocationClosed',
      data: { ...base, reason: 'timeout', steps, tokens: null, error, at: overdue.now.toISOString() },
    });

    it('closes it with reason timeout once it is overdue, with the turns its steps recorded', () =>
      given([invoked, calledWeather, answeredWeather, saidAtStep2])
        .when(overdue)
        .then([closedOverdue(2)]));

    it('answers its pending calls as cancelled in the same append', () =>
      given([invoked, calledWeather, answeredWeather, calledAtStep3])
        .when(overdue)
        .then([
          {
            type: 'AgentToolResponded',
            data: {
              ...base,
              callId: 'c2',
              name: 'get_weather',
              result: null,
              error: CALL_CANCELLED,
              truncated: false,
              at: overdue.now.toISOString(),
            },
          },
          closedOverdue(3),
        ]));

    it('leaves an invocation alone while it may still be running', () =>
      given([invoked])
        .when({ ...overdue, now: new Date(now.getTime() + overdueAfterMs - 1) })
        .then([]));

    it('appends nothing for an invocation already closed (by its process or an earlier sweep)', () =>
      given([invoked, closed]).when(overdue).then([]));

    it('refuses an invocation that was never invoked', () => given([]).when(overdue).thenThrows('not_found'));
  });
});
