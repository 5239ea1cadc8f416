import type { EventStore } from '../../infra/eventstore/port.js';
import type { ReadStore } from '../../infra/readstore/port.js';
import type { ProjectionProgress } from './progress.js';
import { storedFailures } from './projection-failure.js';
import { CHECKPOINTS, PROJECTIONS_CHECKPOINT } from './runner.js';

export interface Health {
  eventStore: 'healthy' | 'unavailable';
  readStore: 'healthy' | 'unavailable';
  headPosition: number | null;
  projectedPosition: number;
  /** How many positions the read models trail the log by (null when the log cannot be read). */
  projectionLag: number | null;
  /** The projection and event the read side is stuck on (the error itself is for operators: logs, the CLI). */
  projectionFailure: { projection: string; position: number; eventType: string } | null;
}

const probe = (check: () => Promise<unknown>) => check().then(() => 'healthy' as const, () => 'unavailable' as const);

export async function health(store: EventStore, db: ReadStore, progress: ProjectionProgress): Promise<Health> {
  const [eventStore, readStore, headPosition, stored] = await Promise.all([
    probe(() => store.ping()),
    probe(() => db.ping()),
    store.headPosition().catch(() => null),
    storedFailures(db.collection(CHECKPOINTS), PROJECTIONS_CHECKPOINT).catch(() => null),
  ]);
  const projectedPosition = progress.position;
  const failure = stored?.failure;
  return {
    eventStore, readStore, headPosition, projectedPosition,
    projectionLag: headPosition === null ? null : Math.max(0, headPosition - projectedPosition),
    projectionFailure: failure ? { projection: failure.projection, position: failure.position, eventType: failure.event_type } : null,
  };
}
