/**
 * Runs the event store contract against SQLite (always) and EventStoreDB (when ESDB_URL is set),
 * plus what only the SQLite adapter promises: sharing one file between instances, and durability.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { EsdbEventStore } from '../../src/infra/eventstore/esdb.js';
import { ConcurrencyError, type EventToAppend, type RecordedEvent } from '../../src/infra/eventstore/port.js';
import { SqliteEventStore } from '../../src/infra/eventstore/sqlite.js';
import { describeEventStoreContract } from './eventstore.contract.js';

const dir = mkdtempSync(join(tmpdir(), 'chronicle-eventstore-'));
const newFile = () => join(dir, `${randomUUID()}.db`);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const event = (type: string, data: Record<string, unknown> = {}): EventToAppend => ({
  id: randomUUID(),
  type,
  data,
  metadata: {
    actorId: null,
    actorType: 'system',
    correlationId: randomUUID(),
    causationId: null,
    ip: null,
    userAgent: null,
    schemaVersion: 1,
  },
});

async function waitFor(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describeEventStoreContract('SqliteEventStore (file)', async () => SqliteEventStore.open(newFile()));

describe('SqliteEventStore on a shared file', () => {
  it('opens the file in WAL mode', async () => {
    const file = newFile();
    const store = SqliteEventStore.open(file, { synchronous: 'FULL' });
    await store.appendToStream('thing-1', [event('ThingCreated')], 'no_stream');

    const other = new Database(file, { readonly: true });
    try {
      expect(other.pragma('journal_mode', { simple: true })).toBe('wal');
    } finally {
      other.close();
      await store.close();
    }
  });

  it('given two instances on one file, when one appends, then the other one\'s subscription sees it by polling', async () => {
    const file = newFile();
    const writer = SqliteEventStore.open(file);
    const reader = SqliteEventStore.open(file, { pollIntervalMs: 20 });
    const received: RecordedEvent[] = [];
    reader.subscribeToAll({}, async (events) => {
      received.push(...events);
    });
    try {
      await writer.appendToStream('thing-1', [event('ThingCreated')], 'no_stream');
      await waitFor(() => received.length === 1, 'the first append');
      await writer.appendToStream('thing-1', [event('ThingRenamed')], 0);
      await reader.appendToStream('thing-2', [event('ThingCreated')], 'no_stream');
      await waitFor(() => received.length === 3, 'both instances\' appends');

      expect(received.map((e) => [e.streamName, e.type])).toEqual([
        ['thing-1', 'ThingCreated'],
        ['thing-1', 'ThingRenamed'],
        ['thing-2', 'ThingCreated'],
      ]);
      // Both instances check revisions against the same file.
      await expect(reader.appendToStream('thing-1', [event('ThingRenamed')], 0)).rejects.toBeInstanceOf(ConcurrencyError);
    } finally {
      await reader.close();
      await writer.close();
    }
  });

  it('given appended events, when the store is closed and reopened, then they are still there and positions go on', async () => {
    const file = newFile();
    const first = SqliteEventStore.open(file);
    const a = event('ThingCreated', { name: 'a' });
    const appended = await first.appendToStream('thing-1', [a, event('ThingRenamed')], 'no_stream');
    await first.close();

    const reopened = SqliteEventStore.open(file);
    try {
      const stored = await reopened.readStream('thing-1');
      expect(stored.map((e) => [e.id, e.revision])).toEqual([
        [a.id, 0],
        [stored[1]!.id, 1],
      ]);
      expect(stored[0]!.data).toEqual({ name: 'a' });
      expect(await reopened.headPosition()).toBe(appended.position);
      const next = await reopened.appendToStream('thing-1', [event('ThingDeleted')], 1);
      expect(next.position).toBeGreaterThan(appended.position);
    } finally {
      await reopened.close();
    }
  });

  it('rejects an event id that already exists in another stream and appends nothing', async () => {
    const store = SqliteEventStore.open(':memory:');
    try {
      const shared = event('ThingCreated');
      await store.appendToStream('thing-1', [shared], 'no_stream');

      await expect(store.appendToStream('thing-2', [shared], 'no_stream')).rejects.toThrow(/already exists/);
      await expect(store.appendToStream('thing-2', [event('ThingCreated'), shared], 'no_stream')).rejects.toThrow(/already exists/);
      expect(await store.readStream('thing-2')).toEqual([]);
    } finally {
      await store.close();
    }
  });
});

const esdbUrl = process.env.ESDB_URL;
// Without a server these show up as skipped, never as passed.
(esdbUrl ? describe : describe.skip)('EsdbEventStore (needs ESDB_URL)', () => {
  describeEventStoreContract('EsdbEventStore', async () => EsdbEventStore.connect(esdbUrl!));
});
