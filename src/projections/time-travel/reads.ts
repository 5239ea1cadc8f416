/** What each read that can be asked as of a past moment depends on (past-read-store.ts). */
import type { ChatEvent } from '../../domain/chats/events.js';
import { CHATS, chatsProjection } from '../chats/projection.js';
import { DOCUMENT_CHUNKS, documentsProjection } from '../documents/projection.js';
import { settingsProjection } from '../settings/projection.js';
import { threadsProjection } from '../threads/projection.js';
import { usersProjection } from '../users/projection.js';
import { workspacesProjection } from '../workspaces/projection.js';
import { type PastRead, pastReadCollections } from './past-read-store.js';

export const PAST_USERS: PastRead = { projections: [usersProjection] };

export const PAST_SETTINGS: PastRead = { projections: [settingsProjection] };

/** Workspaces with their members (users) and threads, as lists, details and GraphQL's nested fields show them. */
export const PAST_WORKSPACES: PastRead = { projections: [workspacesProjection, usersProjection, threadsProjection] };

/** Workspaces with their nested threads, users and documents (GraphQL), not the documents' chunks. */
export const PAST_WORKSPACES_NESTED: PastRead = {
  projections: [workspacesProjection, usersProjection, threadsProjection, documentsProjection],
  seeds: { [DOCUMENT_CHUNKS]: null },
};

/** Documents, with the workspaces that scope them; not their chunks, which no document read shows. */
export const PAST_DOCUMENTS: PastRead = {
  projections: [workspacesProjection, documentsProjection],
  seeds: { [DOCUMENT_CHUNKS]: null },
};

/** The chat events: each names the chat's workspace. */
const CHAT_EVENTS: readonly ChatEvent['type'][] = ['ChatRequested', 'ChatCompleted', 'ChatFailed', 'ChatFeedbackGiven'];

/**
 * One workspace's chats (history reads filter by workspace), with the workspaces that scope them; given
 * a thread (null: the default conversation), only that thread's chats are copied from the snapshot, as
 * its history filters by thread too. Of the chat events, the event store answers only this workspace's.
 */
export const pastChatsOf = (workspaceId: number, threadId?: number | null): PastRead => ({
  projections: [workspacesProjection, chatsProjection],
  seeds: {
    [CHATS]: threadId === undefined ? { workspace: workspaceId } : { workspace: workspaceId, thread: threadId },
  },
  scope: { types: CHAT_EVENTS, where: { field: 'workspaceId', value: workspaceId } },
});

/** What the projector snapshots: every collection a past read starts from. */
export const SNAPSHOT_COLLECTIONS: readonly string[] = [
  ...new Set([PAST_USERS, PAST_SETTINGS, PAST_WORKSPACES, PAST_DOCUMENTS, pastChatsOf(0)].flatMap(pastReadCollections)),
];
