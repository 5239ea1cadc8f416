import type { LlmProviders } from '../ai/llm/select.js';
import type { PromptBudget } from '../ai/prompt/assemble.js';
import type { WorkspaceKnowledge } from '../ai/retrieval/port.js';
import type { CommandDeps } from '../commands/shared/deps.js';
import type { PubSub } from '../infra/pubsub/port.js';
import type { ProjectionProgress } from '../projections/shared/progress.js';
import type { AuthRateLimit } from './rate-limit.js';

export interface RestDeps extends CommandDeps {
  progress: ProjectionProgress;
  authRateLimit: AuthRateLimit;
  /** Where the projection runner announces what the read models now include (GraphQL subscriptions listen). */
  pubsub: PubSub;
  /** Search over the workspaces' documents and their pinned texts (chat stands on it). */
  knowledge: WorkspaceKnowledge;
  /** The language models, picked per workspace (chat and the embed widget answer with them). */
  llm: Pick<LlmProviders, 'select'>;
  promptBudget: PromptBudget;
}

/** Read-your-writes: answer only once the read models include what the command wrote. */
export const settled = (deps: RestDeps, position: number) => deps.progress.waitFor(position);
