import type { DomainEvent } from '../shared/decider.js';

export type ChatMode = 'chat' | 'query';

/** Where an answer came from: a chunk of a document (or the whole of a pinned one, chunk null). Never its text. */
export interface ChatSource {
  documentId: number;
  filename: string;
  chunk: number | null;
  score: number;
}

/** A chat's stream is `chat-<id>`: the question, then its answer or its failure, then any feedback. */
export type ChatRequested = DomainEvent<
  'ChatRequested',
  {
    chatId: number;
    workspaceId: number;
    threadId: number | null;
    userId: number;
    prompt: string;
    mode: ChatMode;
    at: string;
  }
>;
/** The whole answer (tokens are not events: only what the model finished saying is history). */
export type ChatCompleted = DomainEvent<
  'ChatCompleted',
  {
    chatId: number;
    workspaceId: number;
    response: string;
    sources: ChatSource[];
    at: string;
  }
>;
export type ChatFailed = DomainEvent<'ChatFailed', { chatId: number; workspaceId: number; reason: string; at: string }>;
export type ChatFeedbackGiven = DomainEvent<
  'ChatFeedbackGiven',
  {
    chatId: number;
    workspaceId: number;
    feedback: boolean;
    comment: string | null;
    at: string;
  }
>;

export type ChatEvent = ChatRequested | ChatCompleted | ChatFailed | ChatFeedbackGiven;

/** On `chatquota-<userId>`: one per chat a user started, so the daily limit is decided on the write side. */
export type ChatQuotaUsed = DomainEvent<'ChatQuotaUsed', { userId: number; at: string }>;
