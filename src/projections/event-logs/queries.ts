import type { Filter, ReadStore } from '../../infra/readstore/port.js';
import { servedUserObject } from '../shared/user-object.js';
import type { EventLogView } from './entry.js';
import { eventLogCollection } from './projection.js';

export type { EventLogView } from './entry.js';

/**
 * Where the event-log API reads entries. Filters are the narrow MongoDB-shaped subset the REST route
 * and GraphQL build: `id`, `event`, `type`, `user_id`, `occurred_at`, each a value or
 * `{$eq|$in|$gt|$gte|$lt|$lte|$regex}`. Results come newest first.
 */
export interface EventLogReader {
  list(filter: Filter, window: { limit?: number; skip?: number }): Promise<{ results: EventLogView[]; count: number }>;
  /** One entry by its id (the event's global position), or null (none, or a bookkeeping event). */
  find(id: number): Promise<EventLogView | null>;
}

/** The stored entry with the user's keys in its metadata (a document's metadata) as they were given. */
const served = (entry: EventLogView): EventLogView => ({ ...entry, metadata: servedUserObject(entry.metadata) });

/** Event logs from the `event_logs` projection's archive (EventStoreDB: the projection keeps it). */
export function projectedEventLogs(db: ReadStore): EventLogReader {
  return {
    async list(filter, window) {
      const logs = eventLogCollection<EventLogView>(db);
      const [results, count] = await Promise.all([logs.find(filter, { sort: { id: -1 }, ...window }), logs.count(filter)]);
      return { results: results.map(served), count };
    },
    find: async (id) => {
      const entry = await eventLogCollection<EventLogView>(db).findOne({ _id: String(id) });
      return entry && served(entry);
    },
  };
}

export const publicEventLog = (e: EventLogView) => ({ id: e.id, event: e.event, metadata: e.metadata, user_id: e.user_id, occurred_at: e.occurred_at });
