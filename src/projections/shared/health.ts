import type { EventStore } from '../../infra/eventstore/port.js';
import type { ReadStore } from '../../infra/readstore/port.js';
import type { ProjectionProgress } from './progress.js';

export interface Health {
  eventStore: 'healthy' | 'unavailable';
  readStore: 'healthy' | 'unavailable';
  headPosition: number | null;
  projectedPosition: number;
  /** How many positions the read models trail the log by (null when the log cannot be read). */
  projectionLag: number | null;
}

const probe = (check: () => Promise<unknown>) => check().then(() => 'healthy' as const, () => 'unavailable' as const);

export async function health(store: EventStore, db: ReadStore, progress: ProjectionProgress): Promise<Health> {
  const [eventStore, readStore, headPosition] = await Promise.all([
    probe(() => store.ping()),
    probe(() => db.ping()),
    store.headPosition().catch(() => null),
  ]);
  const projectedPosition = progress.position;
  return {
    eventStore, readStore, headPosition, projectedPosition,
    projectionLag: headPosition === null ? null : Math.max(0, headPosition - projectedPosition),
  };
}
