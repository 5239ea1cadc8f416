import type { Decider } from '../shared/decider.js';
import { conflict, fieldError, notFound } from '../shared/errors.js';
import type { AgentEvent, AgentToolResponded, ClientToolDeclaration, CloseReason, ToolSide } from './events.js';

/** A tool result is kept up to this many characters; the rest is cut and the event says so. */
export const TOOL_RESULT_MAX_CHARS = 32_000;
/** A tool's error text is kept up to this many characters. */
export const TOOL_ERROR_MAX_CHARS = 2_000;
/** The error recorded for a call still pending when its invocation closes. */
export const CALL_CANCELLED = 'Cancelled: the invocation closed before this call was answered.';
/** How long past its timeout an invocation's own close may take to be recorded. */
export const CLOSE_GRACE_MS = 30_000;

export interface PendingCall {
  name: string;
  side: ToolSide;
}

export type InvocationState =
  | { status: 'none' }
  | {
      status: 'open' | 'closed';
      invocationId: string;
      workspaceId: number;
      userId: number;
      /** When AgentInvoked was recorded (ISO). */
      invokedAt: string;
      /** The highest model turn a step recorded: the turns taken, as far as the log knows. */
      steps: number;
      /** Calls made and not yet answered, by call id. */
      pending: Record<string, PendingCall>;
      /** Every call id used so far (answered or not): a call id is never reused. */
      callIds: string[];
    };

export type InvocationCommand =
  | {
      type: 'Invoke';
      invocationId: string;
      workspaceId: number;
      userId: number;
      message: string;
      clientTools: ClientToolDeclaration[];
      now: Date;
    }
  | {
      type: 'CallTool';
      callId: string;
      name: string;
      arguments: Record<string, unknown>;
      side: ToolSide;
      step: number;
      now: Date;
    }
  | { type: 'RespondToTool'; callId: string; result: string | null; error: string | null; now: Date }
  | { type: 'SendMessage'; content: string; final: boolean; tool: string | null; step: number; now: Date }
  | {
      type: 'CloseInvocation';
      reason: CloseReason;
      steps: number;
      tokens: { input: number; output: number } | null;
      error: string | null;
      now: Date;
    }
  | {
      /**
       * Closes an invocation its process left open: one still open `overdueAfterMs` after it was invoked
       * can run nowhere any more. Anything else (closed, or not yet overdue) decides nothing.
       */
      type: 'CloseOverdue';
      overdueAfterMs: number;
      now: Date;
    };

const bounded = (text: string, max: number) => (text.length > max ? text.slice(0, max) : text);

function response(
  state: Exclude<InvocationState, { status: 'none' }>,
  callId: string,
  name: string,
  result: string | null,
  error: string | null,
  at: string,
): AgentToolResponded {
  const { invocationId, workspaceId } = state;
  return {
    type: 'AgentToolResponded',
    data: {
      invocationId,
      workspaceId,
      callId,
      name,
      result: result === null ? null : bounded(result, TOOL_RESULT_MAX_CHARS),
      error: error === null ? null : bounded(error, TOOL_ERROR_MAX_CHARS),
      truncated: result !== null && result.length > TOOL_RESULT_MAX_CHARS,
      at,
    },
  };
}

export function decide(command: InvocationCommand, state: InvocationState): AgentEvent[] {
  const at = command.now.toISOString();
  if (command.type === 'Invoke') {
    if (state.status !== 'none') throw conflict('An invocation with this id already exists.');
    const { invocationId, workspaceId, userId, message, clientTools } = command;
    return [{ type: 'AgentInvoked', data: { invocationId, workspaceId, userId, message, clientTools, at } }];
  }
  if (state.status === 'none') throw notFound();
  if (command.type === 'CloseOverdue') {
    if (state.status === 'closed') return [];
    if (Date.parse(state.invokedAt) + command.overdueAfterMs > command.now.getTime()) return [];
    const error = `The invocation was still open ${command.overdueAfterMs} ms after it started: its process had stopped.`;
    return closing(state, 'timeout', state.steps, null, error, at);
  }
  if (state.status === 'closed') throw conflict('This invocation is closed.');
  const { invocationId, workspaceId } = state;
  switch (command.type) {
    case 'CallTool':
      if (state.callIds.includes(command.callId)) throw conflict('This call id has been used already.');
      return [
        {
          type: 'AgentToolCalled',
          data: {
            invocationId,
            workspaceId,
            callId: command.callId,
            name: command.name,
            arguments: command.arguments,
            side: command.side,
            step: command.step,
            at,
          },
        },
      ];
    case 'RespondToTool': {
      const call = state.pending[command.callId];
      if (!call) {
        if (state.callIds.includes(command.callId)) throw conflict('This call has been answered already.');
        throw fieldError('call_id', 'No call of this invocation has this id.');
      }
      if ((command.result === null) === (command.error === null))
        throw fieldError('result', 'A tool answers with either a result or an error.');
      return [response(state, command.callId, call.name, command.result, command.error, at)];
    }
    case 'SendMessage':
      return [
        {
          type: 'AgentMessageSent',
          data: {
            invocationId,
            workspaceId,
            content: command.content,
            final: command.final,
            tool: command.tool,
            step: command.step,
            at,
          },
        },
      ];
    case 'CloseInvocation':
      return closing(state, command.reason, command.steps, command.tokens, command.error, at);
  }
}

/** The close; nothing is left half-recorded: a call still pending is answered as cancelled in the same append. */
function closing(
  state: Exclude<InvocationState, { status: 'none' }>,
  reason: CloseReason,
  steps: number,
  tokens: { input: number; output: number } | null,
  error: string | null,
  at: string,
): AgentEvent[] {
  const { invocationId, workspaceId } = state;
  const cancelled = Object.entries(state.pending).map(([callId, call]) =>
    response(state, callId, call.name, null, CALL_CANCELLED, at),
  );
  return [
    ...cancelled,
    { type: 'AgentInvocationClosed', data: { invocationId, workspaceId, reason, steps, tokens, error, at } },
  ];
}

export function evolve(state: InvocationState, event: AgentEvent): InvocationState {
  switch (event.type) {
    case 'AgentInvoked': {
      const { invocationId, workspaceId, userId, at } = event.data;
      return { status: 'open', invocationId, workspaceId, userId, invokedAt: at, steps: 0, pending: {}, callIds: [] };
    }
    case 'AgentToolCalled':
      if (state.status === 'none') return state;
      return {
        ...state,
        steps: Math.max(state.steps, event.data.step),
        pending: { ...state.pending, [event.data.callId]: { name: event.data.name, side: event.data.side } },
        callIds: [...state.callIds, event.data.callId],
      };
    case 'AgentToolResponded': {
      if (state.status === 'none') return state;
      const { [event.data.callId]: _answered, ...pending } = state.pending;
      return { ...state, pending };
    }
    case 'AgentMessageSent':
      return state.status === 'none' ? state : { ...state, steps: Math.max(state.steps, event.data.step) };
    case 'AgentInvocationClosed':
      return state.status === 'none' ? state : { ...state, status: 'closed', pending: {} };
  }
}

export const invocationDecider: Decider<InvocationState, InvocationCommand, AgentEvent> = {
  initialState: () => ({ status: 'none' }),
  evolve,
  decide,
};
