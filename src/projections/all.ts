import { settingsProjection } from './settings/projection.js';
import type { Projection } from './shared/projection.js';
import { usersProjection } from './users/projection.js';

/** Every read model, in the order they are applied. Replay rebuilds exactly these. */
export const ALL_PROJECTIONS: readonly Projection[] = [usersProjection, settingsProjection];
