/**
 * Projection specs: given(events).then(collection, documents). The events are recorded in order
 * (positions 1, 2, 3, ...) and handed to the projection as the runner hands them, through
 * `projectionApplier` (so a type the projection does not handle never reaches it), into a real
 * embedded read store prepared by the projection's own `setup`.
 */
import { randomUUID } from 'node:crypto';
import type { DomainEvent } from '../../src/domain/shared/decider.js';
import type { RecordedEvent } from '../../src/infra/eventstore/port.js';
import type { ReadStore } from '../../src/infra/readstore/port.js';
import { SqliteReadStore } from '../../src/infra/readstore/sqlite.js';
import type { Projection } from '../../src/projections/shared/projection.js';
import { projectionApplier } from '../../src/projections/shared/runner.js';

/** The moment of the first given event; each later one is a second after. */
const EPOCH = Date.UTC(2026, 0, 1);

/** `events` as the store would record them, one after another in one log. */
export function recorded(events: readonly DomainEvent[]): RecordedEvent[] {
  return events.map((event, i) => ({
    id: randomUUID(),
    type: event.type,
    data: event.data,
    metadata: {
      actorId: null,
      actorType: 'system',
      correlationId: randomUUID(),
      causationId: null,
      ip: null,
      userAgent: null,
      schemaVersion: 1,
    },
    streamName: 'given',
    revision: i,
    position: i + 1,
    createdAt: new Date(EPOCH + i * 1000),
  }));
}

/** A collection's documents in `_id` order, without the `_pos` guard every document keeps for redelivery. */
async function documentsOf(db: ReadStore, collection: string): Promise<Record<string, unknown>[]> {
  const docs = await db.collection(collection).find({}, { sort: { _id: 1 } });
  return docs.map(({ _pos, ...rest }: Record<string, unknown>) => rest);
}

/** Applies `events` to `db` as the runner applies a batch. */
const applier = (projection: Projection<any>) => {
  const apply = projectionApplier([projection]);
  return (events: readonly RecordedEvent[], db: ReadStore) => apply(events, db);
};

/** Runs `use` over a fresh in-memory read store holding what `projection` made of `events`. */
async function projected<T>(
  projection: Projection<any>,
  events: readonly RecordedEvent[],
  use: (db: ReadStore) => Promise<T>,
): Promise<T> {
  const db = SqliteReadStore.open(':memory:');
  try {
    await projection.setup?.(db);
    await applier(projection)(events, db);
    return await use(db);
  } finally {
    await db.close();
  }
}

/**
 * `projectionSpec(p).given(e1, e2).then(collection, documents)` asserts the collection holds exactly
 * those documents (each with its `_id`). Each `then` projects the events afresh. The scenario is not
 * awaited itself: `then` is the assertion, not a promise's.
 */
export function projectionSpec<E extends DomainEvent>(projection: Projection<E>) {
  return {
    /** Events of the projection's union, or any other domain event to show it is ignored. */
    given: (...events: (E | DomainEvent)[]) => {
      const log = recorded(events);
      return {
        then: (collection: string, documents: Record<string, unknown>[]) =>
          projected(projection, log, async (db) => expect(await documentsOf(db, collection)).toEqual(documents)),
        /**
         * Delivering any of the events again, after all of them (as after a crash before the checkpoint
         * was stored), changes no document of the projection's collections. A deleted document keeps no
         * position to guard it, so give events without deletions here.
         */
        thenRedeliveryChangesNothing: () =>
          projected(projection, log, async (db) => {
            const snapshot = () =>
              Promise.all(
                projection.collections.map(async (c) => [c, await db.collection(c).find({}, { sort: { _id: 1 } })]),
              );
            const settled = await snapshot();
            for (const event of log) {
              await applier(projection)([event], db);
              expect({ redelivered: `${event.position} ${event.type}`, collections: await snapshot() }).toEqual({
                redelivered: `${event.position} ${event.type}`,
                collections: settled,
              });
            }
          }),
      };
    },
  };
}
