import type { DomainEvent } from '../../domain/shared/decider.js';
import type { RecordedEvent } from '../../infra/eventstore/port.js';
import {
  type Collection,
  DuplicateKeyError,
  type Filter,
  type ReadStore,
  type Update,
} from '../../infra/readstore/port.js';

/** A recorded event of the union E, discriminated by `type` as E is. */
export type Recorded<E extends DomainEvent> = E extends DomainEvent ? RecordedEvent<E['type'], E['data']> : never;

/**
 * Turns events into read-model documents. Must be idempotent: applying an event twice changes nothing.
 * E is the union of the events it handles: the runner hands `apply` only the types listed in `handles`.
 */
export interface Projection<E extends DomainEvent = DomainEvent> {
  name: string;
  /** Collections this projection owns; replay rebuilds them from scratch. */
  collections: readonly string[];
  /** Event types it applies, or 'all' for every event in the log. */
  handles: readonly E['type'][] | 'all';
  apply(event: Recorded<E>, db: ReadStore): Promise<void>;
  /** Indexes the collections need, created at start-up and before a rebuild. */
  setup?(db: ReadStore): Promise<void>;
}

/**
 * Every document remembers the position of the last event applied to it (`_pos`); an update only
 * lands on a document that has not seen this event yet, so redelivery after a crash is harmless.
 */
export async function applyGuarded(
  coll: Collection,
  id: string,
  position: number,
  update: Update,
  upsert = true,
  when?: Filter,
): Promise<void> {
  try {
    if (!when && coll.updateGuarded) {
      // The store's direct form, where it has one: no filter and update objects built per event.
      const pending = coll.updateGuarded(id, position, update, upsert);
      if (pending) await pending;
      return;
    }
    const guarded = { ...update, $set: { ...update.$set, _pos: position } };
    // Built without spreading an empty `when` (the usual case): a replay makes one of these per event.
    const filter = when ? { ...when, _id: id, _pos: { $lt: position } } : { _id: id, _pos: { $lt: position } };
    await coll.updateOne(filter, guarded, upsert ? UPSERT : NO_UPSERT);
  } catch (err) {
    // The upsert collided with the document itself: it already holds this event or a later one.
    if (!(err instanceof DuplicateKeyError)) throw err;
  }
}

const UPSERT = Object.freeze({ upsert: true });
const NO_UPSERT = Object.freeze({ upsert: false });

export async function deleteGuarded(coll: Collection, id: string, position: number): Promise<void> {
  await coll.deleteOne({ _id: id, _pos: { $lt: position } });
}
