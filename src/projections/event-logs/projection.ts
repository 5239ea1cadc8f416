import { isBookkeepingStream } from '../../domain/shared/bookkeeping.js';
import type { RecordedEvent } from '../../infra/eventstore/port.js';
import { type Doc, DuplicateKeyError, type ReadStore } from '../../infra/readstore/port.js';
import type { Projection } from '../shared/projection.js';
import { storedUserObject } from '../shared/user-object.js';
import { eventLogEntry } from '../../domain/event-logs/entry.js';
import { snakeCase } from '../../domain/event-logs/names.js';
import { ERASED, personalFields } from '../../domain/shared/personal-data.js';

export const EVENT_LOGS = 'event_logs';

/**
 * One entry per event makes this the largest read model by far: an archive, which an embedded store
 * keeps on disk only and serves a page at a time through these indexes (the event-log API's filters,
 * and `id` for its newest-first order). Each index costs every replayed event a few microseconds, so the
 * rarely used `type` filter goes without one (answered by scanning, still right).
 * Only for event stores that cannot answer event logs themselves (EventStoreDB): the embedded SQLite
 * event store serves them straight from its events table (infra/eventstore/sqlite-event-logs.ts).
 */
export const eventLogCollection = <T extends Doc = Doc>(db: ReadStore) =>
  db.collection<T>(EVENT_LOGS, { archive: true });
const INDEXED = ['id', 'event', 'user_id', 'occurred_at'];

/** Every domain event, under its AnythingLLM name, with who did it and from where. */
export const eventLogsProjection: Projection = {
  name: 'event_logs',
  collections: [EVENT_LOGS],
  handles: 'all',
  async setup(db) {
    const logs = eventLogCollection(db);
    for (const field of INDEXED) await logs.ensureIndex([field]);
  },
  async apply(event: RecordedEvent, db: ReadStore) {
    if (isBookkeepingStream(event.streamName)) return;
    if (event.type === 'UserErased') await scrubEntriesOf(db, (event.data as { userId: number }).userId);
    try {
      // One entry per event, never changed: the position is the key, so redelivery is refused as a duplicate.
      const entry = eventLogEntry(event);
      await eventLogCollection(db).insertOne({ ...entry, metadata: storedUserObject(entry.metadata) });
    } catch (err) {
      if (!(err instanceof DuplicateKeyError)) throw err;
    }
  },
};

/** Metadata keys of an entry that held personal data: the event type's personal fields, and where from. */
const personalKeys = (type: string) => [...personalFields(type).map(snakeCase), 'ip', 'user_agent'];

/**
 * An erased user's entries, as a replay after the erasure would write them: those they acted in and those
 * about them (`user_id` in the event's data), personal values "[erased]". Entries are never otherwise
 * changed; this runs again harmlessly on redelivery.
 */
async function scrubEntriesOf(db: ReadStore, userId: number): Promise<void> {
  const logs = eventLogCollection(db);
  for (const filter of [{ user_id: userId }, { 'metadata.user_id': userId }]) {
    for (const entry of await logs.find(filter)) {
      const metadata = { ...(entry.metadata as Record<string, unknown>) };
      for (const key of personalKeys(entry.type as string))
        if (metadata[key] !== null && metadata[key] !== undefined) metadata[key] = ERASED;
      await logs.updateOne({ _id: entry._id }, { $set: { metadata } });
    }
  }
}
