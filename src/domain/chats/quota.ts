import type { Decider } from '../shared/decider.js';
import { DomainError } from '../shared/errors.js';
import type { ChatQuotaUsed } from './events.js';

export const QUOTA_WINDOW_MS = 24 * 60 * 60 * 1000;

/** When the user started each chat of the last 24 hours (older ones fall out as newer ones arrive). */
export interface QuotaState {
  startedAt: number[];
}

/** `limit` null: unlimited (admins, and users without a daily_message_limit). */
export type UseQuota = { type: 'UseQuota'; userId: number; limit: number | null; now: Date };

export const dailyLimitReached = (limit: number) =>
  new DomainError('rate_limited', `You have reached your daily chat limit of ${limit}`);

/** Chats started within the rolling 24 hours before `now`. */
export const usedSince = (state: QuotaState, now: Date) =>
  state.startedAt.filter((t) => t > now.getTime() - QUOTA_WINDOW_MS).length;

export const quotaDecider: Decider<QuotaState, UseQuota, ChatQuotaUsed> = {
  initialState: () => ({ startedAt: [] }),
  evolve(state, event) {
    const t = Date.parse(event.data.at);
    // Anything a day older than the newest chat is a day older than any later "now": forget it, so the state stays small.
    return { startedAt: [...state.startedAt.filter((s) => s > t - QUOTA_WINDOW_MS), t] };
  },
  decide(command, state) {
    if (command.limit !== null && usedSince(state, command.now) >= command.limit)
      throw dailyLimitReached(command.limit);
    return [{ type: 'ChatQuotaUsed', data: { userId: command.userId, at: command.now.toISOString() } }];
  },
};
