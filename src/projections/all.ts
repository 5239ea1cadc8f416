import { apiKeysProjection } from './api-keys/projection.js';
import { embedChatsProjection } from './embeds/chats-projection.js';
import { embedConfigsProjection } from './embeds/projection.js';
import { documentsProjection } from './documents/projection.js';
import { eventLogsProjection } from './event-logs/projection.js';
import { invitesProjection } from './invites/projection.js';
import { settingsProjection } from './settings/projection.js';
import type { Projection } from './shared/projection.js';
import { threadsProjection } from './threads/projection.js';
import { usersProjection } from './users/projection.js';
import { workspacesProjection } from './workspaces/projection.js';

/** Every read model, in the order they are applied. Replay rebuilds exactly these. */
export const ALL_PROJECTIONS: readonly Projection[] = [
  usersProjection, settingsProjection, workspacesProjection, threadsProjection, documentsProjection,
  apiKeysProjection, invitesProjection, embedConfigsProjection, embedChatsProjection, eventLogsProjection,
];
