import type { EventStore } from '../infra/eventstore/port.js';
import type { ReadStore } from '../infra/readstore/port.js';
import type { Projection } from './shared/projection.js';
import { type StoredFailure, storedFailures } from './shared/projection-failure.js';
import { CHECKPOINTS, PROJECTIONS_CHECKPOINT } from './shared/runner.js';

export interface SubscriberStatus {
  name: string;
  /** Global position of the last event applied. */
  checkpoint: number;
  /** Events in the log after the checkpoint (null when the log cannot be read). */
  lag: number | null;
  /** Failed attempts counted so far (projections only). */
  failures: number;
  /** The error it is stuck on, or, for a projection waiting behind another one's failure, which. */
  lastError: string | null;
}

const describe = (f: StoredFailure) => `${f.error} (event ${f.position}, ${f.event_type}, failing since ${f.since})`;

/**
 * Where each projection and side-effect reactor has got, read from the read store's checkpoints, so a
 * separate process (the CLI) can tell while the server runs. The projections share one checkpoint: they
 * apply the log together, in order, and all wait while one of them fails.
 */
export async function subscribersStatus(
  store: EventStore,
  db: ReadStore,
  projections: readonly Projection[],
): Promise<SubscriberStatus[]> {
  const checkpoints = db.collection(CHECKPOINTS);
  const [head, docs, { failure, counts }] = await Promise.all([
    store.headPosition().catch(() => null),
    checkpoints.find({}, { sort: { _id: 1 } }),
    storedFailures(checkpoints, PROJECTIONS_CHECKPOINT),
  ]);
  const positionOf = (id: string) => (docs.find((d) => d._id === id)?.position as number | undefined) ?? 0;
  const lagOf = (position: number) => (head === null ? null : Math.max(0, head - position));
  const shared = positionOf(PROJECTIONS_CHECKPOINT);
  const rows: SubscriberStatus[] = projections.map((p) => ({
    name: p.name,
    checkpoint: shared,
    lag: lagOf(shared),
    failures: counts[p.name] ?? 0,
    lastError: !failure
      ? null
      : failure.projection === p.name
        ? describe(failure)
        : `waiting: projection ${failure.projection} fails on event ${failure.position}`,
  }));
  for (const doc of docs) {
    if (doc._id === PROJECTIONS_CHECKPOINT) continue;
    const position = positionOf(doc._id);
    rows.push({ name: doc._id, checkpoint: position, lag: lagOf(position), failures: 0, lastError: null });
  }
  return rows;
}
