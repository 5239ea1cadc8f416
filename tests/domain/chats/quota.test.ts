import type { ChatQuotaUsed } from '../../../src/domain/chats/events.js';
import { quotaDecider } from '../../../src/domain/chats/quota.js';
import { specFor } from '../given-when-then.js';

const given = specFor(quotaDecider);
const now = new Date('2026-03-04T12:00:00.000Z');
const hoursAgo = (h: number): ChatQuotaUsed => ({
  type: 'ChatQuotaUsed',
  data: { userId: 3, at: new Date(now.getTime() - h * 3600_000).toISOString() },
});
const used: ChatQuotaUsed = { type: 'ChatQuotaUsed', data: { userId: 3, at: now.toISOString() } };

describe('daily chat quota', () => {
  it('counts a chat while the user is under the limit', () =>
    given([hoursAgo(2)])
      .when({ type: 'UseQuota', userId: 3, limit: 2, now })
      .then([used]));

  it('refuses the chat that would exceed the limit, with the limit in the message', () => {
    given([hoursAgo(3), hoursAgo(1)])
      .when({ type: 'UseQuota', userId: 3, limit: 2, now })
      .thenThrows('rate_limited');
    expect(() =>
      quotaDecider.decide(
        { type: 'UseQuota', userId: 3, limit: 2, now },
        [hoursAgo(3), hoursAgo(1)].reduce(quotaDecider.evolve, quotaDecider.initialState()),
      ),
    ).toThrow('You have reached your daily chat limit of 2');
  });

  it('is a rolling 24 hours: chats older than a day no longer count', () =>
    given([hoursAgo(30), hoursAgo(24.01), hoursAgo(1)])
      .when({ type: 'UseQuota', userId: 3, limit: 2, now })
      .then([used]));

  it('counts a chat exactly one day before as outside the window, one a second younger inside', () => {
    given([{ type: 'ChatQuotaUsed', data: { userId: 3, at: new Date(now.getTime() - 86_400_000).toISOString() } }])
      .when({ type: 'UseQuota', userId: 3, limit: 1, now })
      .then([used]);
    given([{ type: 'ChatQuotaUsed', data: { userId: 3, at: new Date(now.getTime() - 86_399_000).toISOString() } }])
      .when({ type: 'UseQuota', userId: 3, limit: 1, now })
      .thenThrows('rate_limited');
  });

  it('a limit of zero refuses every chat', () =>
    given([]).when({ type: 'UseQuota', userId: 3, limit: 0, now }).thenThrows('rate_limited'));

  it('without a limit (admins, users with none) never refuses', () =>
    given(Array.from({ length: 500 }, () => hoursAgo(1)))
      .when({ type: 'UseQuota', userId: 3, limit: null, now })
      .then([used]));

  it('keeps only the last day in its state', () => {
    const state = [hoursAgo(50), hoursAgo(40), hoursAgo(2), hoursAgo(1)].reduce(
      quotaDecider.evolve,
      quotaDecider.initialState(),
    );
    expect(state.startedAt).toHaveLength(2);
  });
});
