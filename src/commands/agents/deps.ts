import type { AgentModelSelector } from '../../ai/llm/agent-port.js';
import type { PromptBudget } from '../../ai/prompt/assemble.js';
import type { WorkspaceKnowledge } from '../../ai/retrieval/port.js';
import type { EventStore } from '../../infra/eventstore/port.js';

/** A document of the workspace as the agent's list_documents shows it. */
export interface AgentDocumentEntry {
  id: number;
  filename: string;
  status: string;
  chunkCount: number;
}

/** What the agent's document tools read: read models the composition root reads for the command. */
export interface AgentDocuments {
  list(workspaceId: number): Promise<AgentDocumentEntry[]>;
  /** The document's extracted text, or null when it is not a ready document of that workspace. */
  text(workspaceId: number, documentId: number): Promise<{ filename: string; text: string } | null>;
}

/** AGENT_MAX_STEPS, AGENT_TOOL_TIMEOUT_MS and AGENT_INVOCATION_TIMEOUT_MS. */
export interface AgentLimits {
  /** Model turns per invocation. */
  maxSteps: number;
  /** How long a client tool call may go unanswered before the model is told it failed. */
  toolTimeoutMs: number;
  /** How long a whole invocation may run before it closes with reason `timeout`. */
  invocationTimeoutMs: number;
}

export interface AgentDeps {
  store: EventStore;
  knowledge: WorkspaceKnowledge;
  agents: AgentModelSelector;
  agentDocuments: AgentDocuments;
  agentLimits: AgentLimits;
  promptBudget: PromptBudget;
}
