import type { LlmSelector } from '../../ai/llm/port.js';
import type { PromptBudget } from '../../ai/prompt/assemble.js';
import type { WorkspaceKnowledge } from '../../ai/retrieval/port.js';
import type { EventStore } from '../../infra/eventstore/port.js';

/** A past question and its answer, for the prompt's history. */
export interface Exchange {
  prompt: string;
  response: string;
}

/** The earlier exchanges a prompt carries, oldest first: read models the composition root reads for the command. */
export interface ChatHistory {
  /** The last `n` exchanges of a conversation: a thread, or (without one) the user's own in the workspace. */
  lastExchanges(workspaceId: number, threadId: number | null, userId: number, n: number): Promise<Exchange[]>;
  /** Every exchange of one embed widget session (never another session's). */
  embedSession(embedUuid: string, sessionId: string): Promise<Exchange[]>;
}

/** What answering a chat needs besides the event store: its history, the workspace's documents and the models. */
export interface ChatDeps {
  store: EventStore;
  history: ChatHistory;
  knowledge: WorkspaceKnowledge;
  llm: LlmSelector;
  promptBudget: PromptBudget;
}
