import type { ReadStore } from '../../infra/readstore/port.js';
import { EMBED_CHATS, EMBED_SESSIONS, sessionKey } from './chats-projection.js';
import { EMBED_CONFIGS } from './projection.js';

export interface EmbedConfigView {
  _id: string;
  uuid: string;
  workspace: number;
  enabled: boolean;
  chat_mode: 'chat' | 'query';
  allowlist_domains: string[];
  max_chats_per_day: number | null;
  message_limit: number | null;
  created_by: number;
  created_at: string;
}

export interface EmbedSessionView {
  _id: string;
  embed_uuid: string;
  session_id: string;
  chat_count: number;
  last_activity: string;
}
export interface EmbedChatView {
  _id: string;
  id: number;
  embed_uuid: string;
  session_id: string;
  prompt: string;
  response: string;
  created_at: string;
}

export const listEmbedConfigs = (db: ReadStore) =>
  db.collection<EmbedConfigView>(EMBED_CONFIGS).find({}, { sort: { created_at: 1, uuid: 1 } });

export const findEmbedConfig = (db: ReadStore, uuid: string) =>
  db.collection<EmbedConfigView>(EMBED_CONFIGS).findOne({ _id: uuid });

/** The config as the API shows it; the allowlist as the spec's comma-separated string. */
export const publicEmbedConfig = (c: EmbedConfigView) => ({
  uuid: c.uuid,
  workspace: c.workspace,
  enabled: c.enabled,
  chat_mode: c.chat_mode,
  allowlist_domains: c.allowlist_domains.join(','),
  max_chats_per_day: c.max_chats_per_day,
  message_limit: c.message_limit,
  created_at: c.created_at,
});

/** A config's sessions, most recently active first. */
export const sessionsOf = (db: ReadStore, embedUuid: string) =>
  db
    .collection<EmbedSessionView>(EMBED_SESSIONS)
    .find({ embed_uuid: embedUuid }, { sort: { last_activity: -1, session_id: 1 } });

export const publicSession = (s: EmbedSessionView) => ({
  session_id: s.session_id,
  embed_config: s.embed_uuid,
  chat_count: s.chat_count,
  last_activity: s.last_activity,
});

/** One session's exchanges, oldest first (the widget's history; never another session's). */
export const chatsOfSession = (db: ReadStore, embedUuid: string, sessionId: string) =>
  db.collection<EmbedChatView>(EMBED_CHATS).find({ session: sessionKey(embedUuid, sessionId) }, { sort: { id: 1 } });
