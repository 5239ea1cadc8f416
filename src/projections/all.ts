import { chatsProjection } from './chats/projection.js';
import { eventLogsProjection } from './event-logs/projection.js';
import { settingsProjection } from './settings/projection.js';
import type { Projection } from './shared/projection.js';
import { threadsProjection } from './threads/projection.js';
import { usersProjection } from './users/projection.js';
import { workspacesProjection } from './workspaces/projection.js';

/** Every read model, in the order they are applied. Replay rebuilds exactly these. */
export const ALL_PROJECTIONS: readonly Projection[] = [
  usersProjection, settingsProjection, workspacesProjection, threadsProjection, chatsProjection, eventLogsProjection,
];
