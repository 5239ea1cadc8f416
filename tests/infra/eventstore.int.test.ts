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
import { ConcurrencyError, type RecordedEvent } from '../../src/infra/eventstore/port.js';
import { SqliteEventStore } from '../../src/infra/eventstore/sqlite.js';
import { describeEventStoreContract } from './eventstore.contract.js';
import { systemEvent } from '../support/events.js';

const dir = mkdtempSync(join(tmpdir(), 'chronicle-eventstore-'));
const newFile = () => join(dir, `${randomUUID()}.db`);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const event = systemEvent;

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

  it("given two instances on one file, when one appends, then the other one's subscription sees it by polling", async () => {
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
      await waitFor(() => received.length === 3, "both instances' appends");

      expect(received.map((e) => [e.streamName, e.type])).toEqual([
        ['thing-1', 'ThingCreated'],
        ['thing-1', 'ThingRenamed'],
        ['thing-2', 'ThingCreated'],
      ]);
      // Both instances check revisions against the same file.
      await expect(reader.appendToStream('thing-1', [event('ThingRenamed')], 0)).rejects.toBeInstanceOf(
        ConcurrencyError,
      );
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
      await expect(store.appendToStream('thing-2', [event('ThingCreated'), shared], 'no_stream')).rejects.toThrow(
        /already exists/,
      );
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

describe('SqliteEventStore group commit', () => {
  it('given appends asked for in one turn, then each gets its own answer or error, positions follow the order asked, and only the committed ones are stored', async () => {
    const store = SqliteEventStore.open(newFile());
    try {
      await store.appendToStream('thing-1', [event('ThingCreated')], 'no_stream');
      const retried = [event('ThingRenamed'), event('ThingRenamed')];
      const first = await store.appendToStream('thing-2', retried, 'no_stream');
      const inUse = event('ThingCreated');
      await store.appendToStream('thing-3', [inUse], 'no_stream');

      const answers = await Promise.allSettled([
        store.appendToStream('thing-1', [event('ThingRenamed')], 0), // appends
        store.appendToStream('thing-1', [event('ThingRenamed')], 0), // stale: the one before took revision 1
        store.appendToStream('thing-2', retried, 'no_stream'), // an idempotent retry: the first answer again
        store.appendToStream('thing-4', [event('ThingCreated'), inUse], 'no_stream'), // not idempotent: nothing of it stays
        store.appendToStream('thing-5', [event('ThingCreated'), event('ThingRenamed')], 'no_stream'), // appends
      ]);

      expect(answers[0]).toMatchObject({ status: 'fulfilled', value: { nextExpectedRevision: 1 } });
      expect(answers[1]).toMatchObject({ status: 'rejected', reason: expect.any(ConcurrencyError) });
      expect((answers[1] as PromiseRejectedResult).reason).toMatchObject({ expected: 0, actual: 1 });
      expect(answers[2]).toEqual({ status: 'fulfilled', value: first });
      expect(answers[3]).toMatchObject({
        status: 'rejected',
        reason: expect.objectContaining({ message: expect.stringMatching(/already exists/) }),
      });
      expect(answers[4]).toMatchObject({ status: 'fulfilled', value: { nextExpectedRevision: 1 } });
      const p1 = (answers[0] as PromiseFulfilledResult<{ position: number }>).value.position;
      const p5 = (answers[4] as PromiseFulfilledResult<{ position: number }>).value.position;
      expect(p5).toBe(p1 + 2); // thing-5's two events right after thing-1's one: the rejected appends left nothing
      expect(await store.readStream('thing-4')).toEqual([]);
      expect((await store.readAll({ after: p1 - 1 })).map((e) => [e.streamName, e.revision, e.position])).toEqual([
        ['thing-1', 1, p1],
        ['thing-5', 0, p1 + 1],
        ['thing-5', 1, p1 + 2],
      ]);
    } finally {
      await store.close();
    }
  });

  it("given two commands reading one stream in the same turn, then the second reads after the first one's append and does not conflict", async () => {
    const store = SqliteEventStore.open(newFile());
    try {
      await store.appendToStream('thing-1', [event('ThingCreated')], 'no_stream');
      const cycle = async (n: number) => {
        const recorded = await store.readStream('thing-1');
        return store.appendToStream('thing-1', [event('ThingRenamed', { n })], recorded.at(-1)!.revision);
      };
      const [first, second] = await Promise.all([cycle(1), cycle(2)]);
      expect(first.nextExpectedRevision).toBe(1);
      expect(second.nextExpectedRevision).toBe(2);
      expect((await store.readStream('thing-1')).map((e) => e.data)).toEqual([{}, { n: 1 }, { n: 2 }]);
    } finally {
      await store.close();
    }
  });

  it("given checks (read-only reads) of a stream in the turn a command reads it, then they answer at once, before the command's group commits", async () => {
    const store = SqliteEventStore.open(newFile());
    try {
      await store.appendToStream('thing-1', [event('ThingCreated')], 'no_stream');
      const order: string[] = [];
      const command = (async () => {
        const recorded = await store.readStream('thing-1');
        await store.appendToStream('thing-1', [event('ThingRenamed')], recorded.at(-1)!.revision);
        order.push('committed');
      })();
      const checks = [1, 2, 3].map(async () => {
        const recorded = await store.readStream('thing-1', { readOnly: true });
        order.push(`checked at ${recorded.length}`);
      });
      await Promise.all([command, ...checks]);
      expect(order).toEqual(['checked at 1', 'checked at 1', 'checked at 1', 'committed']);
    } finally {
      await store.close();
    }
  });

  it('given another connection holding the write lock past the busy timeout, then every append of the group fails and none is stored', async () => {
    const file = newFile();
    const store = SqliteEventStore.open(file);
    const other = new Database(file);
    try {
      await store.appendToStream('thing-1', [event('ThingCreated')], 'no_stream');
      other.exec('BEGIN IMMEDIATE');
      const answers = await Promise.allSettled([
        store.appendToStream('thing-1', [event('ThingRenamed')], 0),
        store.appendToStream('thing-2', [event('ThingCreated')], 'no_stream'),
      ]);
      other.exec('ROLLBACK');
      expect(answers.map((a) => a.status)).toEqual(['rejected', 'rejected']);
      expect((answers[0] as PromiseRejectedResult).reason).toMatchObject({ code: 'SQLITE_BUSY' });
      expect((await store.readAll()).map((e) => [e.streamName, e.revision])).toEqual([['thing-1', 0]]);
      // The store goes on: the next group commits.
      await expect(store.appendToStream('thing-1', [event('ThingRenamed')], 0)).resolves.toMatchObject({
        nextExpectedRevision: 1,
      });
    } finally {
      other.close();
      await store.close();
    }
  }, 20_000);

  it('given appends asked for and the store closed at once, then they are committed and answered before it closes', async () => {
    const file = newFile();
    const store = SqliteEventStore.open(file);
    const appended = store.appendToStream('thing-1', [event('ThingCreated')], 'no_stream');
    await store.close();
    await expect(appended).resolves.toMatchObject({ nextExpectedRevision: 0 });
    await expect(store.appendToStream('thing-1', [event('ThingRenamed')], 0)).rejects.toThrow(/closed/);
    const reopened = SqliteEventStore.open(file);
    try {
      expect((await reopened.readStream('thing-1')).length).toBe(1);
    } finally {
      await reopened.close();
    }
  });
});

describe('SqliteEventStore subscriptions after local appends', () => {
  const collect = (store: SqliteEventStore, types?: string[]) => {
    const received: RecordedEvent[] = [];
    const subscription = store.subscribeToAll({ types }, async (events) => {
      received.push(...events);
    });
    return { received, subscription };
  };

  it('given a subscription that has seen everything, when this store appends, then it gets the events without reading them back, equal to what a read gives', async () => {
    const store = SqliteEventStore.open(newFile(), { pollIntervalMs: 60_000 });
    try {
      await store.appendToStream('thing-1', [event('ThingCreated', { n: 0 })], 'no_stream');
      const { received } = collect(store);
      await waitFor(() => received.length === 1, 'the catch-up');
      const reads = jest.spyOn(store, 'readPageSync');

      await store.appendToStream('thing-1', [event('ThingRenamed', { n: 1 }), event('ThingRenamed', { n: 2 })], 0);
      await Promise.all([
        store.appendToStream('thing-2', [event('ThingCreated', { n: 3 })], 'no_stream'),
        store.appendToStream('thing-3', [event('ThingCreated', { n: 4 })], 'no_stream'),
      ]);
      await waitFor(() => received.length === 5, 'the live appends');

      expect(reads).not.toHaveBeenCalled();
      expect(received).toEqual(await store.readAll());
    } finally {
      await store.close();
    }
  });

  it('given another connection appended in between, when this store appends, then the subscription reads and gets every event in order', async () => {
    const file = newFile();
    const store = SqliteEventStore.open(file, { pollIntervalMs: 60_000 }); // the poll never comes: the gap is what makes it read
    const other = SqliteEventStore.open(file, { pollIntervalMs: 60_000 });
    try {
      await store.appendToStream('thing-1', [event('ThingCreated')], 'no_stream');
      const { received } = collect(store);
      await waitFor(() => received.length === 1, 'the catch-up');
      const reads = jest.spyOn(store, 'readPageSync');

      await other.appendToStream('thing-2', [event('ThingCreated')], 'no_stream');
      await store.appendToStream('thing-1', [event('ThingRenamed')], 0);
      await waitFor(() => received.length === 3, 'both appends');

      expect(reads).toHaveBeenCalled();
      expect(received.map((e) => [e.streamName, e.type])).toEqual([
        ['thing-1', 'ThingCreated'],
        ['thing-2', 'ThingCreated'],
        ['thing-1', 'ThingRenamed'],
      ]);
      expect(received).toEqual(await store.readAll());

      // Seen up to date again by that read: the next local append is handed over.
      reads.mockClear();
      await store.appendToStream('thing-1', [event('ThingDeleted')], 1);
      await waitFor(() => received.length === 4, 'the next append');
      expect(reads).not.toHaveBeenCalled();
    } finally {
      await other.close();
      await store.close();
    }
  });

  it('given a types filter, then local appends of other types move it on without a read and only its types are delivered', async () => {
    const store = SqliteEventStore.open(newFile(), { pollIntervalMs: 60_000 });
    try {
      await store.appendToStream('thing-1', [event('ThingCreated'), event('ThingRenamed')], 'no_stream');
      const { received } = collect(store, ['ThingCreated']);
      await waitFor(() => received.length === 1, 'the catch-up');
      const reads = jest.spyOn(store, 'readPageSync');

      await store.appendToStream('thing-1', [event('ThingRenamed')], 1);
      await store.appendToStream('thing-2', [event('ThingCreated'), event('ThingRenamed')], 'no_stream');
      await store.appendToStream('thing-3', [event('ThingCreated')], 'no_stream');
      await waitFor(() => received.length === 3, 'the live appends');

      expect(reads).not.toHaveBeenCalled();
      expect(received).toEqual(await store.readAll({ types: ['ThingCreated'] }));
    } finally {
      await store.close();
    }
  });
});

describe('SqliteEventStore subscriptions polling for other processes', () => {
  it('given nothing appended since what it has seen, when it polls, then it reads no page; once another connection appends, it reads and gets it', async () => {
    const file = newFile();
    const store = SqliteEventStore.open(file, { pollIntervalMs: 5 });
    const other = SqliteEventStore.open(file, { pollIntervalMs: 60_000 });
    try {
      await store.appendToStream('thing-1', [event('ThingCreated')], 'no_stream');
      const received: RecordedEvent[] = [];
      const subscription = store.subscribeToAll({ types: ['ThingCreated'] }, async (events) => {
        received.push(...events);
      });
      await waitFor(() => received.length === 1, 'the catch-up');
      const reads = jest.spyOn(store, 'readPageSync');
      const heads = jest.spyOn(store, 'headPositionSync');
      await waitFor(() => heads.mock.calls.length >= 3, 'a few polls');
      expect(reads).not.toHaveBeenCalled();

      await other.appendToStream('thing-2', [event('ThingCreated')], 'no_stream');
      await waitFor(() => received.length === 2, "the other connection's append");
      expect(reads).toHaveBeenCalled();
      expect(received).toEqual(await store.readAll({ types: ['ThingCreated'] }));
      await subscription.close();
    } finally {
      await other.close();
      await store.close();
    }
  });
});

describe('SqliteEventStore subscriptions: batches bounded in bytes', () => {
  const LIMIT = 50_000;
  const sizeOf = (e: RecordedEvent) => JSON.stringify(e.data).length + JSON.stringify(e.metadata).length;
  const large = (n: number, bytes = 10_000) => event('ChunkAdded', { n, text: 'x'.repeat(bytes) });
  const batchesOf = (store: SqliteEventStore) => {
    const batches: RecordedEvent[][] = [];
    const subscription = store.subscribeToAll({}, async (events) => {
      batches.push(events);
    });
    return { batches, subscription, received: () => batches.flat() };
  };

  it('given events larger in all than the byte limit, when a subscription catches up, then no batch holds more than the limit and all arrive in order', async () => {
    const store = SqliteEventStore.open(newFile(), { pollIntervalMs: 60_000, catchUp: { bytes: LIMIT } });
    try {
      await store.appendToStream(
        'doc-1',
        Array.from({ length: 12 }, (_, n) => large(n)),
        'no_stream',
      );
      const { batches, received } = batchesOf(store);
      await waitFor(() => received().length === 12, 'the catch-up');

      expect(batches.length).toBeGreaterThan(1);
      for (const batch of batches) expect(batch.reduce((sum, e) => sum + sizeOf(e), 0)).toBeLessThanOrEqual(LIMIT);
      expect(received()).toEqual(await store.readAll());
    } finally {
      await store.close();
    }
  });

  it('given a subscription that has seen everything, when one append writes more than the limit, then it reads them in bounded batches', async () => {
    const store = SqliteEventStore.open(newFile(), { pollIntervalMs: 60_000, catchUp: { bytes: LIMIT } });
    try {
      await store.appendToStream('doc-1', [event('DocumentUploaded')], 'no_stream');
      const { batches, received } = batchesOf(store);
      await waitFor(() => received().length === 1, 'the catch-up');

      await store.appendToStream(
        'doc-1',
        Array.from({ length: 12 }, (_, n) => large(n)),
        0,
      );
      await waitFor(() => received().length === 13, 'the live append');

      for (const batch of batches) expect(batch.reduce((sum, e) => sum + sizeOf(e), 0)).toBeLessThanOrEqual(LIMIT);
      expect(received()).toEqual(await store.readAll());
    } finally {
      await store.close();
    }
  });

  it('given one event larger than the limit, then it arrives alone, and what follows after it', async () => {
    const store = SqliteEventStore.open(newFile(), { pollIntervalMs: 60_000, catchUp: { bytes: LIMIT } });
    try {
      await store.appendToStream('doc-1', [large(0, 2 * LIMIT), large(1), large(2)], 'no_stream');
      const { batches, received } = batchesOf(store);
      await waitFor(() => received().length === 3, 'the catch-up');

      expect(batches[0]!.map((e) => e.data.n)).toEqual([0]);
      expect(received().map((e) => e.data.n)).toEqual([0, 1, 2]);
    } finally {
      await store.close();
    }
  });
});
