import type { Decider, DomainEvent } from '../shared/decider.js';
import { conflict, DomainError } from '../shared/errors.js';
import type { EmbedChatCompleted } from './events.js';

/**
 * Widget chats, decided on the write side. Two streams per chat:
 * - `embedquota-<config uuid>`: one EmbedChatStarted per accepted question. Its fold knows the starts
 *   of the last 24 hours and each session's count, so both limits are checked against what is
 *   appended, and the expected revision keeps concurrent requests from passing a limit together.
 * - `embedchat-<chat uuid>`: how that question ended, EmbedChatCompleted or EmbedChatFailed, once.
 */

export const EMBED_QUOTA_WINDOW_MS = 24 * 60 * 60 * 1000;

export type EmbedChatStarted = DomainEvent<
  'EmbedChatStarted',
  { embedUuid: string; sessionId: string; chatUuid: string; at: string }
>;
export type EmbedChatFailed = DomainEvent<
  'EmbedChatFailed',
  {
    embedUuid: string;
    sessionId: string;
    chatUuid: string;
    prompt: string;
    reason: string;
    at: string;
  }
>;

export interface EmbedQuotaState {
  /** Start times (ms) within a day of the newest start; older ones can never count again. */
  startedAt: number[];
  /** Questions asked so far in each session of this config. */
  perSession: Record<string, number>;
}

/** `null` limits mean "no limit", as in the config. */
export interface StartEmbedChat {
  type: 'StartEmbedChat';
  embedUuid: string;
  sessionId: string;
  chatUuid: string;
  maxChatsPerDay: number | null;
  messageLimit: number | null;
  now: Date;
}

export const embedDailyLimitReached = (limit: number) =>
  new DomainError('rate_limited', `You have reached your daily chat limit of ${limit}`);
export const embedSessionLimitReached = (limit: number) =>
  new DomainError(
    'rate_limited',
    `You have reached the limit of ${limit} message${limit === 1 ? '' : 's'} in this chat session`,
  );

export const chatsInLastDay = (state: EmbedQuotaState, now: Date) =>
  state.startedAt.filter((t) => t > now.getTime() - EMBED_QUOTA_WINDOW_MS).length;

/** The daily limit is checked before the session's, as DESIGN.md orders them. */
export const embedQuotaDecider: Decider<EmbedQuotaState, StartEmbedChat, EmbedChatStarted> = {
  initialState: () => ({ startedAt: [], perSession: {} }),
  evolve(state, event) {
    const t = Date.parse(event.data.at);
    const { sessionId } = event.data;
    return {
      startedAt: [...state.startedAt.filter((s) => s > t - EMBED_QUOTA_WINDOW_MS), t],
      perSession: { ...state.perSession, [sessionId]: (state.perSession[sessionId] ?? 0) + 1 },
    };
  },
  decide(command, state) {
    if (command.maxChatsPerDay !== null && chatsInLastDay(state, command.now) >= command.maxChatsPerDay) {
      throw embedDailyLimitReached(command.maxChatsPerDay);
    }
    if (command.messageLimit !== null && (state.perSession[command.sessionId] ?? 0) >= command.messageLimit) {
      throw embedSessionLimitReached(command.messageLimit);
    }
    const { embedUuid, sessionId, chatUuid } = command;
    return [{ type: 'EmbedChatStarted', data: { embedUuid, sessionId, chatUuid, at: command.now.toISOString() } }];
  },
};

export type EmbedExchangeEvent = EmbedChatCompleted | EmbedChatFailed;
export type EmbedExchangeState = { status: 'open' } | { status: 'completed' | 'failed' };

interface Asked {
  embedUuid: string;
  sessionId: string;
  chatUuid: string;
  prompt: string;
  now: Date;
}
export type EmbedExchangeCommand =
  ({ type: 'CompleteEmbedChat'; response: string } & Asked) | ({ type: 'FailEmbedChat'; reason: string } & Asked);

/** A started question ends once: with its answer, or with why there is none. */
export const embedExchangeDecider: Decider<EmbedExchangeState, EmbedExchangeCommand, EmbedExchangeEvent> = {
  initialState: () => ({ status: 'open' }),
  evolve: (_state, event) => ({ status: event.type === 'EmbedChatCompleted' ? 'completed' : 'failed' }),
  decide(command, state) {
    if (state.status !== 'open') throw conflict('This chat has already ended.');
    const { embedUuid, sessionId, prompt } = command;
    const at = command.now.toISOString();
    return command.type === 'CompleteEmbedChat'
      ? [{ type: 'EmbedChatCompleted', data: { embedUuid, sessionId, prompt, response: command.response, at } }]
      : [
          {
            type: 'EmbedChatFailed',
            data: { embedUuid, sessionId, chatUuid: command.chatUuid, prompt, reason: command.reason, at },
          },
        ];
  },
};
