import type { AgentEvent, CloseReason } from '../../domain/agents/events.js';

/**
 * What an invocation tells its client, the same over the Agent WebSocket and GraphQL: each frame is sent
 * only once the step it reports is recorded.
 */
export type AgentFrame =
  | { type: 'invocation_started'; invocation_id: string }
  | { type: 'agent_message'; invocation_id: string; content: string; final: boolean }
  | { type: 'tool_call'; invocation_id: string; call_id: string; name: string; arguments: Record<string, unknown> }
  | { type: 'invocation_closed'; invocation_id: string; reason: CloseReason }
  | { type: 'error'; invocation_id?: string; error: string };

export type FrameSink = (frame: AgentFrame) => void;

/**
 * The frames an invocation's recorded event stands for: the live frames are made from the events just
 * appended, and a late subscriber's replay from the events read back, so both say the same.
 * A tool's answer has no frame (the client sent it, or the server's note follows as an agent_message).
 */
export function framesOf(event: AgentEvent): AgentFrame[] {
  const invocation_id = event.data.invocationId;
  switch (event.type) {
    case 'AgentInvoked':
      return [{ type: 'invocation_started', invocation_id }];
    case 'AgentToolCalled':
      return event.data.side === 'client'
        ? [
            {
              type: 'tool_call',
              invocation_id,
              call_id: event.data.callId,
              name: event.data.name,
              arguments: event.data.arguments,
            },
          ]
        : [];
    case 'AgentToolResponded':
      return [];
    case 'AgentMessageSent':
      return [{ type: 'agent_message', invocation_id, content: event.data.content, final: event.data.final }];
    case 'AgentInvocationClosed':
      return [
        ...(event.data.error !== null ? [{ type: 'error' as const, invocation_id, error: event.data.error }] : []),
        { type: 'invocation_closed', invocation_id, reason: event.data.reason },
      ];
  }
}
