import { agentInvocationsProjection } from './agent-invocations/projection.js';
import { apiKeysProjection } from './api-keys/projection.js';
import { embedChatsProjection } from './embeds/chats-projection.js';
import { embedConfigsProjection } from './embeds/projection.js';
import { documentsProjection } from './documents/projection.js';
import { chatsProjection } from './chats/projection.js';
import { eventLogsProjection } from './event-logs/projection.js';
import { invitesProjection } from './invites/projection.js';
import { settingsProjection } from './settings/projection.js';
import type { Projection } from './shared/projection.js';
import { threadsProjection } from './threads/projection.js';
import { usersProjection } from './users/projection.js';
import { workspacesProjection } from './workspaces/projection.js';

/** Every projection there is, in the order they are applied. */
export const ALL_PROJECTIONS: readonly Projection[] = [
  usersProjection,
  settingsProjection,
  workspacesProjection,
  threadsProjection,
  documentsProjection,
  chatsProjection,
  apiKeysProjection,
  invitesProjection,
  embedConfigsProjection,
  embedChatsProjection,
  agentInvocationsProjection,
  eventLogsProjection,
];

/** Where event logs are read: the `event_logs` projection's archive, or the event store's own table (embedded SQLite). */
export type EventLogSource = 'projection' | 'event-store';

/**
 * The projections a deployment runs and replay rebuilds: all of them, but without the `event_logs`
 * archive when the event store answers event logs itself (a second copy of every event would be waste).
 */
export const projectionsFor = (eventLogs: EventLogSource): readonly Projection[] =>
  eventLogs === 'projection' ? ALL_PROJECTIONS : ALL_PROJECTIONS.filter((p) => p !== eventLogsProjection);
