import { randomUUID } from 'node:crypto';
import { SqliteEventStore } from '../../src/infra/eventstore/sqlite.js';
import { SqliteEventLogReader } from '../../src/infra/eventstore/sqlite-event-logs.js';
import { MongoReadStore } from '../../src/infra/readstore/mongo.js';
import { SqliteReadStore } from '../../src/infra/readstore/sqlite.js';
import { eventLogsProjection } from '../../src/projections/event-logs/projection.js';
import { projectedEventLogs } from '../../src/projections/event-logs/queries.js';
import { projectionApplier } from '../../src/projections/shared/runner.js';
import { describeEventLogReaderContract } from './event-logs.contract.js';

describeEventLogReaderContract('SQLite events table (embedded)', async () => {
  const store = SqliteEventStore.open(':memory:');
  return { store, reader: SqliteEventLogReader.over(store), close: () => store.close() };
});

// The projection-backed reader, as EventStoreDB deployments run it, here on the embedded read store.
describeEventLogReaderContract('event_logs projection on the embedded read store', async () => {
  const store = SqliteEventStore.open(':memory:');
  const db = SqliteReadStore.open(':memory:');
  await eventLogsProjection.setup!(db);
  return {
    store,
    reader: projectedEventLogs(db),
    settle: async () => projectionApplier([eventLogsProjection])(await store.readAll({ after: 0 }), db),
    close: async () => {
      await db.close();
      await store.close();
    },
  };
});

// The same on MongoDB, as production runs it, when a server is given (CI's production-stack job).
const mongoUrl = process.env.MONGODB_URL;
if (mongoUrl)
  describeEventLogReaderContract('event_logs projection on MongoDB', async () => {
    const store = SqliteEventStore.open(':memory:');
    const dbName = `chronicle_event_logs_${process.pid}_${randomUUID().slice(0, 8)}`;
    const db = await MongoReadStore.connect(mongoUrl!, dbName);
    await eventLogsProjection.setup!(db);
    return {
      store,
      reader: projectedEventLogs(db),
      settle: async () => projectionApplier([eventLogsProjection])(await store.readAll({ after: 0 }), db),
      close: async () => {
        await db.close();
        await store.close();
      },
    };
  });

describe("SQLite event-log reader: filters outside the API's subset", () => {
  let store: SqliteEventStore;
  beforeAll(() => {
    store = SqliteEventStore.open(':memory:');
  });
  afterAll(() => store.close());

  it.each([
    [{ metadata: { $eq: 'x' } }],
    [{ user_id: { $ne: 3 } }],
    [{ occurred_at: { $regex: /^2024/ } }],
    [{ $or: [{ user_id: 1 }] }],
    [{ id: { $exists: true } }],
  ])('given %j, then an error names it instead of a wrong answer', async (filter) => {
    await expect(SqliteEventLogReader.over(store).list(filter, {})).rejects.toThrow(/cannot be filtered/);
  });

  it('then values reach SQL bound, never as text of the query', async () => {
    const reader = SqliteEventLogReader.over(store);
    await expect(reader.list({ occurred_at: { $gte: "' OR 1=1 --" } }, {})).resolves.toEqual({ results: [], count: 0 });
  });
});

describe("event_logs projection: a document's metadata with operator-like and dotted keys", () => {
  it.each([{ $where: '1' }, { 'a.b': 1 }, { x: { $gt: 1 } }, { nested: [{ $x: 1 }] }])(
    'given %j, then the projected entry answers it as the events table does',
    async (metadata) => {
      const store = SqliteEventStore.open(':memory:');
      const db = SqliteReadStore.open(':memory:');
      try {
        await eventLogsProjection.setup!(db);
        const { position } = await store.appendToStream(
          'document-1',
          [
            {
              id: randomUUID(),
              type: 'DocumentUploaded',
              data: {
                documentId: 1,
                workspaceId: 1,
                filename: 'a.txt',
                storedName: 'a.txt',
                mimeType: 'text/plain',
                format: 'txt',
                size: 1,
                metadata,
                uploadedBy: 1,
                ingestion: 1,
                at: new Date().toISOString(),
              },
              metadata: {
                actorId: '1',
                actorType: 'user',
                correlationId: randomUUID(),
                causationId: null,
                ip: null,
                userAgent: null,
                schemaVersion: 1,
              },
            },
          ],
          'no_stream',
        );
        await projectionApplier([eventLogsProjection])(await store.readAll({ after: 0 }), db);
        const projected = await projectedEventLogs(db).find(position);
        expect(projected).toEqual(await SqliteEventLogReader.over(store).find(position));
        expect(projected!.metadata.metadata).toEqual(metadata);
        expect((await projectedEventLogs(db).list({}, {})).results).toEqual([projected]);
      } finally {
        await db.close();
        await store.close();
      }
    },
  );
});
