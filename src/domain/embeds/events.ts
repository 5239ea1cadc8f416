import type { DomainEvent } from '../shared/decider.js';

export const EMBED_CHAT_MODES = ['chat', 'query'] as const;
export type EmbedChatMode = (typeof EMBED_CHAT_MODES)[number];

/** What an embed config decides about its widget; `null` limits mean "no limit". */
export interface EmbedSettings {
  workspaceId: number;
  enabled: boolean;
  chatMode: EmbedChatMode;
  /** Hosts (`example.com`, `localhost:3000`) whose pages may use the widget; empty means any. */
  allowlistDomains: string[];
  maxChatsPerDay: number | null;
  messageLimit: number | null;
}

export type EmbedChanges = Partial<EmbedSettings>;

export type EmbedConfigCreated = DomainEvent<
  'EmbedConfigCreated',
  { uuid: string; settings: EmbedSettings; createdBy: number; at: string }
>;
export type EmbedConfigUpdated = DomainEvent<'EmbedConfigUpdated', { uuid: string; changes: EmbedChanges; at: string }>;
export type EmbedConfigDeleted = DomainEvent<'EmbedConfigDeleted', { uuid: string; at: string }>;

export type EmbedConfigEvent = EmbedConfigCreated | EmbedConfigUpdated | EmbedConfigDeleted;

/** One question and answer in a widget session (appended by the public embed chat endpoint). */
export type EmbedChatCompleted = DomainEvent<
  'EmbedChatCompleted',
  { embedUuid: string; sessionId: string; prompt: string; response: string; at: string }
>;
