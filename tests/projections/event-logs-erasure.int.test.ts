/**
 * An erased user's event-log entries, from both sources of event logs: the embedded event store's
 * table (opened at read time) and the event_logs archive EventStoreDB deployments project (scrubbed
 * when UserErased is applied). Both show the same entries, personal values "[erased]".
 */
import { randomUUID } from 'node:crypto';
import type { EventMetadata, EventToAppend } from '../../src/infra/eventstore/port.js';
import { EncryptingEventStore } from '../../src/infra/eventstore/encrypting.js';
import { SqliteEventStore } from '../../src/infra/eventstore/sqlite.js';
import { SqliteEventLogReader } from '../../src/infra/eventstore/sqlite-event-logs.js';
import { CachedKeyStore } from '../../src/infra/keystore/cached.js';
import { SqliteKeyStore } from '../../src/infra/keystore/sqlite.js';
import { SqliteReadStore } from '../../src/infra/readstore/sqlite.js';
import { eventLogsProjection } from '../../src/projections/event-logs/projection.js';
import { projectedEventLogs } from '../../src/projections/event-logs/queries.js';
import { projectionApplier } from '../../src/projections/shared/runner.js';

const metadata = (actorId: string | null): EventMetadata => ({
  actorId,
  actorType: 'user',
  correlationId: randomUUID(),
  causationId: null,
  ip: '192.0.2.44',
  userAgent: 'ScrubAgent/2',
  schemaVersion: 1,
});
const event = (type: string, data: Record<string, unknown>, actorId: string | null): EventToAppend => ({
  id: randomUUID(),
  type,
  data,
  metadata: metadata(actorId),
});

describe('event logs of an erased user', () => {
  it('given entries projected before the erasure, then the archive and the events table show the same, erased', async () => {
    const inner = SqliteEventStore.open(':memory:');
    const keys = new CachedKeyStore(SqliteKeyStore.open(':memory:'));
    const store = new EncryptingEventStore(inner, keys);
    const db = SqliteReadStore.open(':memory:');
    await eventLogsProjection.setup!(db);
    const apply = projectionApplier([eventLogsProjection]);

    const registered = {
      userId: 4,
      username: 'scrub_me',
      email: 'scrub.me@example.org',
      passwordHash: 'h',
      role: 'default',
      registeredAt: '2026-01-01T00:00:00.000Z',
    };
    await store.appendToStream('user-4', [event('UserRegistered', registered, null)], 'no_stream');
    const chat = {
      chatId: 1,
      workspaceId: 1,
      threadId: null,
      userId: 4,
      prompt: 'scrub this prompt',
      mode: 'chat',
      at: '2026-01-01T00:00:00.000Z',
    };
    await store.appendToStream('chat-1', [event('ChatRequested', chat, '4')], 'no_stream');
    await store.appendToStream('user-9', [event('UserLoggedIn', { userId: 9, at: 'x' }, '9')], 'no_stream');
    await apply(await store.readAll(), db);
    const archive = projectedEventLogs(db);
    expect(JSON.stringify(await archive.list({}, {}))).toContain('scrub this prompt');

    const head = await store.headPosition();
    await store.appendToStream('user-4', [event('UserErased', { userId: 4, at: 'y' }, '1')], 0);
    await keys.destroy('user-4');
    await apply(await store.readAll({ after: head }), db);

    const projected = await archive.list({}, {});
    const fromTable = await SqliteEventLogReader.over(inner, store.cipher).list({}, {});
    expect(projected).toEqual(fromTable);
    const text = JSON.stringify(projected);
    for (const secret of ['scrub_me', 'scrub.me@example.org', 'scrub this prompt']) expect(text).not.toContain(secret);
    const byType = (t: string) => projected.results.find((e) => e.type === t)!;
    expect(byType('UserRegistered').metadata).toMatchObject({
      username: '[erased]',
      email: '[erased]',
      ip: '[erased]',
      user_agent: '[erased]',
    });
    expect(byType('ChatRequested').metadata).toMatchObject({ prompt: '[erased]', ip: '[erased]' });
    expect(byType('UserLoggedIn').metadata).toMatchObject({ ip: '192.0.2.44', user_agent: 'ScrubAgent/2' });
    expect(byType('UserErased')).toMatchObject({ event: 'user_erased', user_id: 1, metadata: { user_id: 4 } });
    await db.close();
    await store.close();
    await keys.close();
  });
});
