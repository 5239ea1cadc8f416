import type { CommandDeps } from '../commands/shared/deps.js';
import type { ProjectionProgress } from '../projections/shared/progress.js';
import type { AuthRateLimit } from './rate-limit.js';

export interface RestDeps extends CommandDeps {
  progress: ProjectionProgress;
  authRateLimit: AuthRateLimit;
}

/** Read-your-writes: answer only once the read models include what the command wrote. */
export const settled = (deps: RestDeps, position: number) => deps.progress.waitFor(position);
