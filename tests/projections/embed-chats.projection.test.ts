/**
 * The embed chats read models as documents: one per exchange, keyed by its event's position, and one
 * per session with its chat count and last activity. A deleted config takes both with it.
 */
import type { EmbedChatCompleted, EmbedConfigDeleted } from '../../src/domain/embeds/events.js';
import { EMBED_CHATS, EMBED_SESSIONS, embedChatsProjection } from '../../src/projections/embeds/chats-projection.js';
import { projectionSpec } from '../support/projection-spec.js';

const spec = projectionSpec(embedChatsProjection);

const EMBED = '6f1c2a1e-0000-4000-8000-000000000001';
const OTHER = '6f1c2a1e-0000-4000-8000-000000000002';

const chat = (embedUuid: string, sessionId: string, prompt: string, at: string): EmbedChatCompleted => ({
  type: 'EmbedChatCompleted',
  data: { embedUuid, sessionId, prompt, response: `answer to ${prompt}`, at },
});
const configDeleted = (uuid: string): EmbedConfigDeleted => ({
  type: 'EmbedConfigDeleted',
  data: { uuid, at: '2026-01-03T00:00:00.000Z' },
});

describe('embed chats projection', () => {
  it('given chats in two sessions, then one document per session counting its chats, with its last activity', () =>
    spec
      .given(
        chat(EMBED, 's-1', 'hello', '2026-01-01T10:00:00.000Z'),
        chat(EMBED, 's-2', 'hi', '2026-01-01T11:00:00.000Z'),
        chat(EMBED, 's-1', 'again', '2026-01-01T12:30:00.000Z'),
      )
      .then(EMBED_SESSIONS, [
        {
          _id: `${EMBED}|s-1`,
          embed_uuid: EMBED,
          session_id: 's-1',
          chat_count: 2,
          last_activity: '2026-01-01T12:30:00.000Z',
        },
        {
          _id: `${EMBED}|s-2`,
          embed_uuid: EMBED,
          session_id: 's-2',
          chat_count: 1,
          last_activity: '2026-01-01T11:00:00.000Z',
        },
      ]));

  it('given a chat, then its exchange is stored under its event position', () =>
    spec.given(chat(EMBED, 's-1', 'hello', '2026-01-01T10:00:00.000Z')).then(EMBED_CHATS, [
      {
        _id: '1',
        id: 1,
        embed_uuid: EMBED,
        session_id: 's-1',
        session: `${EMBED}|s-1`,
        prompt: 'hello',
        response: 'answer to hello',
        created_at: '2026-01-01T10:00:00.000Z',
      },
    ]));

  it('given a config deleted, then its sessions and chats leave, and another config keeps its own', async () => {
    const events = [
      chat(EMBED, 's-1', 'hello', '2026-01-01T10:00:00.000Z'),
      chat(OTHER, 's-1', 'elsewhere', '2026-01-01T11:00:00.000Z'),
      configDeleted(EMBED),
    ];
    await spec.given(...events).then(EMBED_SESSIONS, [
      {
        _id: `${OTHER}|s-1`,
        embed_uuid: OTHER,
        session_id: 's-1',
        chat_count: 1,
        last_activity: '2026-01-01T11:00:00.000Z',
      },
    ]);
    await spec.given(...events).then(EMBED_CHATS, [
      {
        _id: '2',
        id: 2,
        embed_uuid: OTHER,
        session_id: 's-1',
        session: `${OTHER}|s-1`,
        prompt: 'elsewhere',
        response: 'answer to elsewhere',
        created_at: '2026-01-01T11:00:00.000Z',
      },
    ]);
  });

  it('given the chats delivered again, then nothing is counted twice', () =>
    spec
      .given(
        chat(EMBED, 's-1', 'hello', '2026-01-01T10:00:00.000Z'),
        chat(EMBED, 's-1', 'again', '2026-01-01T10:05:00.000Z'),
        chat(OTHER, 's-7', 'elsewhere', '2026-01-01T11:00:00.000Z'),
      )
      .thenRedeliveryChangesNothing());
});
