import type { DomainEvent } from '../shared/decider.js';

/** Which side ran a tool: the server's own tools, or one the client declared and runs itself. */
export type ToolSide = 'server' | 'client';

/** Why an invocation ended. */
export type CloseReason = 'completed' | 'closed' | 'max_steps' | 'timeout' | 'error';

/** A tool the client declared for one invocation; `parameters` is a JSON Schema object. */
export interface ClientToolDeclaration {
  name: string;
  description: string;
  parameters: Record<string, unknown>;
}

/**
 * An invocation's stream is `agent-<invocationId>`: the request, then every tool call, tool result and
 * message in the order they happened, then exactly one close. An auditor replaying it sees what the
 * agent was asked, what it called with which arguments, what came back and what it said.
 */
export type AgentInvoked = DomainEvent<
  'AgentInvoked',
  {
    invocationId: string;
    workspaceId: number;
    userId: number;
    message: string;
    clientTools: ClientToolDeclaration[];
    at: string;
  }
>;
export type AgentToolCalled = DomainEvent<
  'AgentToolCalled',
  {
    invocationId: string;
    workspaceId: number;
    callId: string;
    name: string;
    arguments: Record<string, unknown>;
    side: ToolSide;
    /** The model turn (1-based) that asked for it. */
    step: number;
    at: string;
  }
>;
/** A tool's answer: its result, or its error; a result longer than the bound is kept truncated, and says so. */
export type AgentToolResponded = DomainEvent<
  'AgentToolResponded',
  {
    invocationId: string;
    workspaceId: number;
    callId: string;
    name: string;
    result: string | null;
    error: string | null;
    truncated: boolean;
    at: string;
  }
>;
/** What the agent said: a step's text, a note naming the server tool it ran (`tool`), or the answer (`final`). */
export type AgentMessageSent = DomainEvent<
  'AgentMessageSent',
  {
    invocationId: string;
    workspaceId: number;
    content: string;
    final: boolean;
    tool: string | null;
    step: number;
    at: string;
  }
>;
export type AgentInvocationClosed = DomainEvent<
  'AgentInvocationClosed',
  {
    invocationId: string;
    workspaceId: number;
    reason: CloseReason;
    /** Model turns taken. */
    steps: number;
    /** Summed over the turns whose provider reported them; null when none did. */
    tokens: { input: number; output: number } | null;
    /** For reason `error` or `timeout`: what went wrong, in words fit for the client. */
    error: string | null;
    at: string;
  }
>;

export type AgentEvent = AgentInvoked | AgentToolCalled | AgentToolResponded | AgentMessageSent | AgentInvocationClosed;
