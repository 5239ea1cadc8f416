import type { Filter, FindOptions, ReadStore } from '../../infra/readstore/port.js';
import { eventLogCollection } from './projection.js';

export interface EventLogView { _id: string; id: number; event: string; type: string; metadata: Record<string, unknown>; user_id: number | null; occurred_at: string }

export async function listEventLogs(db: ReadStore, filter: Filter, options: FindOptions) {
  const logs = eventLogCollection<EventLogView>(db);
  const [results, count] = await Promise.all([logs.find(filter, { sort: { id: -1 }, ...options }), logs.count(filter)]);
  return { results, count };
}

export const publicEventLog = (e: EventLogView) => ({ id: e.id, event: e.event, metadata: e.metadata, user_id: e.user_id, occurred_at: e.occurred_at });

/** One entry by its id (the event's global position). */
export const findEventLog = (db: ReadStore, id: number) => eventLogCollection<EventLogView>(db).findOne({ _id: String(id) });
