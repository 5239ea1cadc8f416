import type { EmbedChatCompleted, EmbedConfigDeleted } from '../../domain/embeds/events.js';
import { DuplicateKeyError } from '../../infra/readstore/port.js';
import { applyGuarded, type Projection } from '../shared/projection.js';

export const EMBED_CHATS = 'embed_chats';
export const EMBED_SESSIONS = 'embed_sessions';

export const sessionKey = (embedUuid: string, sessionId: string) => `${embedUuid}|${sessionId}`;

/**
 * Widget chats: one document per exchange (a session's history) and one per session with its chat
 * count and last activity. Deleting a config deletes its chats from the read side (the events stay).
 */
export const embedChatsProjection: Projection<EmbedChatCompleted | EmbedConfigDeleted> = {
  name: 'embed_chats',
  collections: [EMBED_CHATS, EMBED_SESSIONS],
  handles: ['EmbedChatCompleted', 'EmbedConfigDeleted'],
  async setup(db) {
    await db.collection(EMBED_CHATS).ensureIndex(['embed_uuid']);
    await db.collection(EMBED_CHATS).ensureIndex(['session']);
    await db.collection(EMBED_SESSIONS).ensureIndex(['embed_uuid']);
  },
  async apply(event, db) {
    if (event.type === 'EmbedConfigDeleted') {
      await db.collection(EMBED_CHATS).deleteMany({ embed_uuid: event.data.uuid });
      await db.collection(EMBED_SESSIONS).deleteMany({ embed_uuid: event.data.uuid });
      return;
    }
    const { embedUuid, sessionId, prompt, response, at } = event.data;
    const session = sessionKey(embedUuid, sessionId);
    try {
      // Keyed by position: a redelivered event is refused as a duplicate.
      await db.collection(EMBED_CHATS).insertOne({
        _id: String(event.position),
        id: event.position,
        embed_uuid: embedUuid,
        session_id: sessionId,
        session,
        prompt,
        response,
        created_at: at,
      });
    } catch (err) {
      if (!(err instanceof DuplicateKeyError)) throw err;
    }
    await applyGuarded(db.collection(EMBED_SESSIONS), session, event.position, {
      $set: { embed_uuid: embedUuid, session_id: sessionId, last_activity: at },
      $inc: { chat_count: 1 },
    });
  },
};
