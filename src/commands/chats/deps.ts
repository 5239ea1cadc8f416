import type { LlmProviders } from '../../ai/llm/select.js';
import type { PromptBudget } from '../../ai/prompt/assemble.js';
import type { WorkspaceKnowledge } from '../../ai/retrieval/port.js';
import type { EventStore } from '../../infra/eventstore/port.js';
import type { ReadStore } from '../../infra/readstore/port.js';

/** What answering a chat needs besides the stores: the workspace's documents and the models. */
export interface ChatDeps {
  store: EventStore;
  db: ReadStore;
  knowledge: WorkspaceKnowledge;
  llm: Pick<LlmProviders, 'select' | 'serverWide'>;
  promptBudget: PromptBudget;
}
