import type { EventLogView } from '../../domain/event-logs/entry.js';
import type { Filter } from '../readstore/port.js';

/**
 * Where the event-log API reads entries. Two adapters: the `event_logs` projection's archive, and the
 * embedded event store's own table. Filters are the narrow MongoDB-shaped subset the REST route and
 * GraphQL build: `id`, `event`, `type`, `user_id`, `occurred_at`, each a value or
 * `{$eq|$in|$gt|$gte|$lt|$lte|$regex}`. Results come newest first.
 */
export interface EventLogReader {
  list(filter: Filter, window: { limit?: number; skip?: number }): Promise<{ results: EventLogView[]; count: number }>;
  /** One entry by its id (the event's global position), or null (none, or a bookkeeping event). */
  find(id: number): Promise<EventLogView | null>;
}
