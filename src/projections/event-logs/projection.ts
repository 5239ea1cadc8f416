import { isBookkeepingStream } from '../../commands/shared/bookkeeping.js';
import type { RecordedEvent } from '../../infra/eventstore/port.js';
import { DuplicateKeyError, type ReadStore } from '../../infra/readstore/port.js';
import type { Projection } from '../shared/projection.js';
import { eventLogName, snakeCase } from './names.js';

export const EVENT_LOGS = 'event_logs';

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
    out[snakeCase(k)] = v !== null && typeof v === 'object' && !Array.isArray(v) ? publicData(v as Record<string, unknown>) : v;
  }
  return out;
}

/** Every domain event, under its AnythingLLM name, with who did it and from where. */
export const eventLogsProjection: Projection = {
  name: 'event_logs',
  collections: [EVENT_LOGS],
  handles: 'all',
  async setup(db) {
    const logs = db.collection(EVENT_LOGS);
    await logs.ensureIndex(['event']);
    await logs.ensureIndex(['user_id']);
  },
  async apply(event: RecordedEvent, db: ReadStore) {
    if (isBookkeepingStream(event.streamName)) return;
    const actorId = event.metadata?.actorId;
    try {
      // One entry per event, never changed: the position is the key, so redelivery is refused as a duplicate.
      await db.collection(EVENT_LOGS).insertOne({
        _id: String(event.position),
        id: event.position,
        event: eventLogName(event.type),
        type: event.type,
        metadata: { ...publicData(event.data), ip: event.metadata?.ip ?? null, user_agent: event.metadata?.userAgent ?? null },
        user_id: actorId != null && /^\d+$/.test(actorId) ? Number(actorId) : null,
        actor_type: event.metadata?.actorType ?? null,
        occurred_at: event.createdAt.toISOString(),
      });
    } catch (err) {
      if (!(err instanceof DuplicateKeyError)) throw err;
    }
  },
};
