import { randomUUID } from 'node:crypto';
import type { EmbedChatCompleted } from '../../src/domain/embeds/events.js';
import { SqliteEventStore } from '../../src/infra/eventstore/sqlite.js';
import { MemoryPubSub } from '../../src/infra/pubsub/memory.js';
import { SqliteReadStore } from '../../src/infra/readstore/sqlite.js';
import { ALL_PROJECTIONS } from '../../src/projections/all.js';
import { embedChatsProjection } from '../../src/projections/embeds/chats-projection.js';
import { chatsOfSession, publicSession, sessionsOf } from '../../src/projections/embeds/queries.js';
import type { Projection } from '../../src/projections/shared/projection.js';
import { ProjectionProgress } from '../../src/projections/shared/progress.js';
import { ProjectionRunner } from '../../src/projections/shared/runner.js';

const metadata = {
  actorId: null,
  actorType: 'embed' as const,
  correlationId: 'c',
  causationId: null,
  ip: null,
  userAgent: null,
  schemaVersion: 1,
};

/**
 * The embed_chats read model, fed by EmbedChatCompleted events as the public embed chat endpoint will
 * append them: per-session counts and last activity, and each session's own history.
 */
describe('embed chats projection', () => {
  let store: SqliteEventStore;
  let db: SqliteReadStore;
  let runner: ProjectionRunner;
  let progress: ProjectionProgress;
  const embed = randomUUID();
  const other = randomUUID();

  async function chat(embedUuid: string, sessionId: string, prompt: string, at: string) {
    const data: EmbedChatCompleted['data'] = { embedUuid, sessionId, prompt, response: `answer to ${prompt}`, at };
    const stream = `embedchat-${randomUUID()}`;
    const { position } = await store.appendToStream(
      stream,
      [{ id: randomUUID(), type: 'EmbedChatCompleted', data, metadata }],
      'no_stream',
    );
    return position;
  }

  beforeEach(async () => {
    store = SqliteEventStore.open(':memory:');
    db = SqliteReadStore.open(':memory:');
    progress = new ProjectionProgress();
    runner = new ProjectionRunner(store, db, ALL_PROJECTIONS, progress, new MemoryPubSub(), (err) => {
      throw err;
    });
    await runner.start();
  });
  afterEach(async () => {
    await runner.stop();
    await store.close();
    await db.close();
  });

  it('given chats in two sessions of a config, then each session shows its count and last activity, newest first', async () => {
    await chat(embed, 's-1', 'hello', '2026-01-01T10:00:00.000Z');
    await chat(embed, 's-2', 'hi', '2026-01-01T11:00:00.000Z');
    await chat(other, 's-1', 'elsewhere', '2026-01-01T12:00:00.000Z');
    const last = await chat(embed, 's-1', 'again', '2026-01-01T12:30:00.000Z');
    await progress.waitFor(last);

    expect((await sessionsOf(db, embed)).map(publicSession)).toEqual([
      { session_id: 's-1', embed_config: embed, chat_count: 2, last_activity: '2026-01-01T12:30:00.000Z' },
      { session_id: 's-2', embed_config: embed, chat_count: 1, last_activity: '2026-01-01T11:00:00.000Z' },
    ]);
    expect((await chatsOfSession(db, embed, 's-1')).map((c) => c.prompt)).toEqual(['hello', 'again']);
    expect((await chatsOfSession(db, other, 's-1')).map((c) => c.prompt)).toEqual(['elsewhere']);
  });

  it('given an event delivered twice, then nothing is counted twice', async () => {
    const position = await chat(embed, 's-9', 'once', '2026-01-02T00:00:00.000Z');
    await progress.waitFor(position);
    const [event] = await store.readAll({ after: position - 1 });
    const asTheRunnerHoldsIt: Projection = embedChatsProjection;
    await asTheRunnerHoldsIt.apply(event, db);
    expect((await sessionsOf(db, embed)).map((s) => s.chat_count)).toEqual([1]);
    expect(await chatsOfSession(db, embed, 's-9')).toHaveLength(1);
  });

  it('given a config is deleted, then its sessions and chats leave the read model', async () => {
    await chat(embed, 's-1', 'hello', '2026-01-01T10:00:00.000Z');
    const { position } = await store.appendToStream(
      `embed-${embed}`,
      [
        {
          id: randomUUID(),
          type: 'EmbedConfigDeleted',
          data: { uuid: embed, at: '2026-01-03T00:00:00.000Z' },
          metadata,
        },
      ],
      'any',
    );
    await progress.waitFor(position);
    expect(await sessionsOf(db, embed)).toEqual([]);
    expect(await chatsOfSession(db, embed, 's-1')).toEqual([]);
  });
});
