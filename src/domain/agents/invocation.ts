import type { Decider } from '../shared/decider.js';
import { conflict, fieldError, notFound } from '../shared/errors.js';
import type { AgentEvent, AgentToolResponded, ClientToolDeclaration, CloseReason, ToolSide } from './events.js';

/** A tool result is kept up to this many characters; the rest is cut and the event says so. */
export const TOOL_RESULT_MAX_CHARS = 32_000;
/** A tool's error text is kept up to this many characters. */
export const TOOL_ERROR_MAX_CHARS = 2_000;
/** The error recorded for a call still pending when its invocation closes. */
export const CALL_CANCELLED = 'Cancelled: the invocation closed before this call was answered.';

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
    case 'CloseInvocation': {
      // Nothing is left half-recorded: a call still pending is answered as cancelled in the same append.
      const cancelled = Object.entries(state.pending).map(([callId, call]) =>
        response(state, callId, call.name, null, CALL_CANCELLED, at),
      );
      return [
        ...cancelled,
        {
          type: 'AgentInvocationClosed',
          data: {
            invocationId,
            workspaceId,
            reason: command.reason,
            steps: command.steps,
            tokens: command.tokens,
            error: command.error,
            at,
          },
        },
      ];
    }
  }
}

export function evolve(state: InvocationState, event: AgentEvent): InvocationState {
  switch (event.type) {
    case 'AgentInvoked': {
      const { invocationId, workspaceId, userId } = event.data;
      return { status: 'open', invocationId, workspaceId, userId, pending: {}, callIds: [] };
    }
    case 'AgentToolCalled':
      if (state.status === 'none') return state;
      return {
        ...state,
        pending: { ...state.pending, [event.data.callId]: { name: event.data.name, side: event.data.side } },
        callIds: [...state.callIds, event.data.callId],
      };
    case 'AgentToolResponded': {
      if (state.status === 'none') return state;
      const { [event.data.callId]: _answered, ...pending } = state.pending;
      return { ...state, pending };
    }
    case 'AgentMessageSent':
      return state;
    case 'AgentInvocationClosed':
      return state.status === 'none' ? state : { ...state, status: 'closed', pending: {} };
  }
}

export const invocationDecider: Decider<InvocationState, InvocationCommand, AgentEvent> = {
  initialState: () => ({ status: 'none' }),
  evolve,
  decide,
};
