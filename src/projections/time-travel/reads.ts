/** What each read that can be asked as of a past moment depends on (past-read-store.ts). */
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

const CHAT_EVENTS: ReadonlySet<string> = new Set(['ChatCompleted', 'ChatFailed', 'ChatFeedbackGiven']);

/**
 * One workspace's chats (history reads filter by workspace), with the workspaces that scope them.
 * Of the chat events only those of this workspace's chats are applied: a chat's later events name only
 * the chat, so the ids are those seeded and those asked here since, as the replay goes.
 */
export const pastChatsOf = (workspaceId: number): PastRead => ({
  projections: [workspacesProjection, chatsProjection],
  seeds: { chats: { workspace: workspaceId } },
  async relevant(seeded) {
    const chats = new Set((await seeded.collection(CHATS).find({})).map((c) => c.id as number));
    return (event) => {
      if (event.type === 'ChatRequested') {
        if (event.data.workspaceId !== workspaceId) return false;
        chats.add(event.data.chatId);
        return true;
      }
      return !CHAT_EVENTS.has(event.type) || chats.has(event.data.chatId);
    };
  },
});

/** What the projector snapshots: every collection a past read starts from. */
export const SNAPSHOT_COLLECTIONS: readonly string[] = [
  ...new Set([PAST_USERS, PAST_SETTINGS, PAST_WORKSPACES, PAST_DOCUMENTS, pastChatsOf(0)].flatMap(pastReadCollections)),
];
