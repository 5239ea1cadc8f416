import type { EventLogView } from '../../domain/event-logs/entry.js';
import type { EventLogReader } from '../../infra/event-logs/port.js';
import type { ReadStore } from '../../infra/readstore/port.js';
import { servedUserObject } from '../shared/user-object.js';
import { eventLogCollection } from './projection.js';

export type { EventLogView };

/** The stored entry with the user's keys in its metadata (a document's metadata) as they were given. */
const served = (entry: EventLogView): EventLogView => ({ ...entry, metadata: servedUserObject(entry.metadata) });

/** Event logs from the `event_logs` projection's archive (EventStoreDB: the projection keeps it). */
export function projectedEventLogs(db: ReadStore): EventLogReader {
  return {
    async list(filter, window) {
      const logs = eventLogCollection<EventLogView>(db);
      const [results, count] = await Promise.all([
        logs.find(filter, { sort: { id: -1 }, ...window }),
        logs.count(filter),
      ]);
      return { results: results.map(served), count };
    },
    find: async (id) => {
      const entry = await eventLogCollection<EventLogView>(db).findOne({ _id: String(id) });
      return entry && served(entry);
    },
  };
}

export const publicEventLog = (e: EventLogView) => ({
  id: e.id,
  event: e.event,
  metadata: e.metadata,
  user_id: e.user_id,
  occurred_at: e.occurred_at,
});
