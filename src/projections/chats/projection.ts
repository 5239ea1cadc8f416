import type { ChatEvent } from '../../domain/chats/events.js';
import type { UserErased } from '../../domain/identity/events.js';
import { ERASED } from '../../domain/shared/personal-data.js';
import type { ThreadDeleted, WorkspaceDeleted } from '../../domain/workspaces/events.js';
import { applyGuarded, type Projection } from '../shared/projection.js';

export const CHATS = 'chats';

/**
 * Chats as history, lists, search and export show them. A chat is written when asked (status
 * `requested`) and shown once it has an answer; a failed one stays out of sight. Chats leave with
 * their thread or workspace, as AnythingLLM deletes them.
 */
export const chatsProjection: Projection<ChatEvent | ThreadDeleted | WorkspaceDeleted | UserErased> = {
  name: 'chats',
  collections: [CHATS],
  handles: [
    'ChatRequested',
    'ChatCompleted',
    'ChatFailed',
    'ChatFeedbackGiven',
    'ThreadDeleted',
    'WorkspaceDeleted',
    'UserErased',
  ],
  async setup(db) {
    const chats = db.collection(CHATS);
    await chats.ensureIndex(['workspace']);
    await chats.ensureIndex(['thread']);
    await chats.ensureIndex(['user']);
  },
  async apply(event, db) {
    const chats = db.collection(CHATS);
    const pos = event.position;
    switch (event.type) {
      case 'ChatRequested': {
        const d = event.data;
        return applyGuarded(chats, String(d.chatId), pos, {
          $set: {
            id: d.chatId,
            prompt: d.prompt,
            response: '',
            workspace: d.workspaceId,
            thread: d.threadId,
            user: d.userId,
            mode: d.mode,
            feedback: null,
            comment: null,
            sources: [],
            status: 'requested',
            created_at: d.at,
          },
        });
      }
      case 'ChatCompleted': {
        const sources = event.data.sources.map((s) => ({
          document_id: s.documentId,
          filename: s.filename,
          chunk: s.chunk,
          score: s.score,
        }));
        return applyGuarded(
          chats,
          String(event.data.chatId),
          pos,
          {
            $set: { response: event.data.response, sources, status: 'completed', completed_at: event.data.at },
          },
          false,
        );
      }
      case 'ChatFailed':
        return applyGuarded(
          chats,
          String(event.data.chatId),
          pos,
          { $set: { status: 'failed', error: event.data.reason } },
          false,
        );
      case 'ChatFeedbackGiven':
        return applyGuarded(
          chats,
          String(event.data.chatId),
          pos,
          { $set: { feedback: event.data.feedback, comment: event.data.comment } },
          false,
        );
      case 'ThreadDeleted':
        await chats.deleteMany({ thread: event.data.threadId });
        return;
      case 'WorkspaceDeleted':
        await chats.deleteMany({ workspace: event.data.workspaceId });
        return;
      case 'UserErased': {
        // What the user wrote and was answered, as a replay after the erasure would show it.
        const user = event.data.userId;
        await chats.updateMany({ user }, { $set: { prompt: ERASED, response: ERASED } });
        await chats.updateMany({ user, comment: { $ne: null } }, { $set: { comment: ERASED } });
      }
    }
  },
};
