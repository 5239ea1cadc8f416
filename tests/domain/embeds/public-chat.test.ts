import {
  type EmbedChatStarted,
  embedExchangeDecider,
  embedQuotaDecider,
  type StartEmbedChat,
} from '../../../src/domain/embeds/public-chat.js';
import { specFor } from '../given-when-then.js';

const now = new Date('2026-03-04T12:00:00.000Z');
const embedUuid = '0b9c5c1e-3f0e-4c59-9d43-6a3f3c1f7a10';
const started = (sessionId: string, hoursAgo: number): EmbedChatStarted => ({
  type: 'EmbedChatStarted',
  data: {
    embedUuid,
    sessionId,
    chatUuid: `c-${sessionId}-${hoursAgo}`,
    at: new Date(now.getTime() - hoursAgo * 3600_000).toISOString(),
  },
});
const start = (sessionId: string, limits: { day?: number | null; session?: number | null } = {}): StartEmbedChat => ({
  type: 'StartEmbedChat',
  embedUuid,
  sessionId,
  chatUuid: 'new-chat',
  maxChatsPerDay: limits.day ?? null,
  messageLimit: limits.session ?? null,
  now,
});
const accepted = (sessionId: string): EmbedChatStarted => ({
  type: 'EmbedChatStarted',
  data: { embedUuid, sessionId, chatUuid: 'new-chat', at: now.toISOString() },
});

describe('embed chat quota (per config)', () => {
  const given = specFor(embedQuotaDecider);

  it('starts a chat while the config is under its daily limit', () =>
    given([started('a', 3)])
      .when(start('b', { day: 2 }))
      .then([accepted('b')]));

  it('refuses the chat over max_chats_per_day, counting every session of the config, with the spec message', () => {
    given([started('a', 3), started('b', 1)])
      .when(start('c', { day: 2 }))
      .thenThrows('rate_limited');
    const state = [started('a', 3), started('b', 1)].reduce(embedQuotaDecider.evolve, embedQuotaDecider.initialState());
    expect(() => embedQuotaDecider.decide(start('c', { day: 2 }), state)).toThrow(
      'You have reached your daily chat limit of 2',
    );
  });

  it('is a rolling 24 hours', () =>
    given([started('a', 30), started('a', 24.01), started('b', 1)])
      .when(start('c', { day: 2 }))
      .then([accepted('c')]));

  it('refuses a message over message_limit in one session, but not in another', () => {
    given([started('a', 1), started('a', 2)])
      .when(start('a', { session: 2 }))
      .thenThrows('rate_limited');
    given([started('a', 1), started('a', 2)])
      .when(start('b', { session: 2 }))
      .then([accepted('b')]);
  });

  it('counts a session over all time, not only the last day', () =>
    given([started('a', 48), started('a', 72)])
      .when(start('a', { session: 2 }))
      .thenThrows('rate_limited'));

  it('checks the daily limit before the session limit', () => {
    const state = [started('a', 1)].reduce(embedQuotaDecider.evolve, embedQuotaDecider.initialState());
    expect(() => embedQuotaDecider.decide(start('a', { day: 1, session: 1 }), state)).toThrow('daily chat limit of 1');
  });

  it('without limits never refuses', () =>
    given(Array.from({ length: 300 }, (_, i) => started('a', i / 100)))
      .when(start('a'))
      .then([accepted('a')]));

  it('keeps only the last day of start times in its state', () => {
    const state = [started('a', 50), started('b', 40), started('a', 2), started('c', 1)].reduce(
      embedQuotaDecider.evolve,
      embedQuotaDecider.initialState(),
    );
    expect(state.startedAt).toHaveLength(2);
    expect(state.perSession).toEqual({ a: 2, b: 1, c: 1 });
  });
});

describe('embed chat exchange', () => {
  const given = specFor(embedExchangeDecider);
  const asked = { embedUuid, sessionId: 's', chatUuid: 'x', prompt: 'What is the refund window?', now };

  it('completes once with the answer', () =>
    given([])
      .when({ type: 'CompleteEmbedChat', response: 'Thirty days.', ...asked })
      .then([
        {
          type: 'EmbedChatCompleted',
          data: { embedUuid, sessionId: 's', prompt: asked.prompt, response: 'Thirty days.', at: now.toISOString() },
        },
      ]));

  it('records a failure with its reason', () =>
    given([])
      .when({ type: 'FailEmbedChat', reason: 'The model is down.', ...asked })
      .then([
        {
          type: 'EmbedChatFailed',
          data: {
            embedUuid,
            sessionId: 's',
            chatUuid: 'x',
            prompt: asked.prompt,
            reason: 'The model is down.',
            at: now.toISOString(),
          },
        },
      ]));

  it('refuses to end a chat twice', () =>
    given([
      {
        type: 'EmbedChatCompleted',
        data: { embedUuid, sessionId: 's', prompt: 'q', response: 'a', at: now.toISOString() },
      },
    ])
      .when({ type: 'FailEmbedChat', reason: 'late', ...asked })
      .thenThrows('conflict'));
});
