import type { EventStore } from '../../infra/eventstore/port.js';
import type { ReadStore } from '../../infra/readstore/port.js';
import type { ProjectionProgress } from './progress.js';

export interface Health {
  eventStore: 'healthy' | 'unavailable';
  readStore: 'healthy' | 'unavailable';
  headPosition: number | null;
  projectedPosition: number;
  /**
   * How long the oldest event the read models have not applied has been in the log, in milliseconds
   * (0 when caught up; null when the log cannot be read). Positions cannot give it: they are row ids on
   * SQLite but byte offsets in EventStoreDB's transaction log, where one chunk event moves the head by ~1 MB.
   */
  projectionLagMs: number | null;
}

/** Read models further behind than this are not ready to serve: a request would wait out its read-your-writes timeout. */
export const READY_MAX_LAG_MS = 15_000;

const probe = (check: () => Promise<unknown>) => check().then(() => 'healthy' as const, () => 'unavailable' as const);

/** Age of the first event after `projected`; one event is read, however far behind the read models are. */
async function lagMs(store: EventStore, headPosition: number | null, projected: number, now: number): Promise<number | null> {
  if (headPosition === null) return null;
  if (headPosition <= projected) return 0;
  const [oldest] = await store.readAll({ after: projected, maxCount: 1 });
  return oldest ? Math.max(0, now - oldest.createdAt.getTime()) : 0;
}

export async function health(store: EventStore, db: ReadStore, progress: ProjectionProgress, now = Date.now()): Promise<Health> {
  const projectedPosition = progress.position;
  const [eventStore, readStore, headPosition] = await Promise.all([
    probe(() => store.ping()),
    probe(() => db.ping()),
    store.headPosition().catch(() => null),
  ]);
  const projectionLagMs = await lagMs(store, headPosition, projectedPosition, now).catch(() => null);
  return { eventStore, readStore, headPosition, projectedPosition, projectionLagMs };
}

/** Stores reachable and read models caught up. */
export const isReady = (h: Health): boolean =>
  h.eventStore === 'healthy' && h.readStore === 'healthy' && h.projectionLagMs !== null && h.projectionLagMs <= READY_MAX_LAG_MS;
