import type { EventMetadata } from '../shared/event-metadata.js';
import { eventLogName, snakeCase } from './names.js';

/** What the log needs of a recorded event. */
export interface LoggableEvent {
  position: number;
  type: string;
  data: Record<string, unknown>;
  metadata?: EventMetadata;
  createdAt: Date;
}

/** An entry of the event log: one per domain event, keyed by the event's global position. */
export interface EventLogView {
  _id: string;
  id: number;
  event: string;
  type: string;
  metadata: Record<string, unknown>;
  user_id: number | null;
  actor_type?: string | null;
  occurred_at: string;
}

// Hashes stay out of the log too: a hash of a short secret can be guessed offline.
// An invite code is a credential until used: the invites list shows it to those who may hand it out.
const SECRET_FIELDS = new Set(['passwordHash', 'tokenHash', 'keyHash', 'secret', 'key', 'token', 'password', 'code']);
// Bulky payloads are logged by their size only: chunk texts would copy every document into the log.
const COUNTED_FIELDS = new Map([['chunks', 'chunk_count']]);

/** The event's data with secrets left out and keys in the API's snake_case, nested objects too. */
function publicData(data: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(data ?? {})) {
    if (SECRET_FIELDS.has(k)) continue;
    const counted = COUNTED_FIELDS.get(k);
    if (counted && Array.isArray(v)) {
      out[counted] = v.length;
      continue;
    }
    out[snakeCase(k)] =
      v !== null && typeof v === 'object' && !Array.isArray(v) ? publicData(v as Record<string, unknown>) : v;
  }
  return out;
}

/** The user an actor id names, when it names one (an api key or embed acts under other ids). */
export const userIdOf = (actorId: string | null | undefined): number | null =>
  actorId != null && /^\d+$/.test(actorId) ? Number(actorId) : null;

/**
 * The event as its log entry: AnythingLLM's name, who did it and from where. The one mapping both
 * sources of event logs use (the projected archive and the embedded event store's own table).
 */
export function eventLogEntry(event: LoggableEvent): EventLogView {
  return {
    _id: String(event.position),
    id: event.position,
    event: eventLogName(event.type),
    type: event.type,
    metadata: {
      ...publicData(event.data),
      ip: event.metadata?.ip ?? null,
      user_agent: event.metadata?.userAgent ?? null,
    },
    user_id: userIdOf(event.metadata?.actorId),
    actor_type: event.metadata?.actorType ?? null,
    occurred_at: event.createdAt.toISOString(),
  };
}
