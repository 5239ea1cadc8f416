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
  /**
   * How long the oldest event the read models have not applied has been in the log, in milliseconds
   * (0 when caught up; null when the log cannot be read). Positions cannot give it: they are row ids on
   * SQLite but byte offsets in EventStoreDB's transaction log, where one chunk event moves the head by ~1 MB.
   */
  projectionLagMs: number | null;
  /**
   * The read models have not yet applied events that were in the log when this process started: a
   * (re)start's catch-up, not ready whatever the lag, since every read would still be behind.
   */
  catchingUp: boolean;
  /** The projection and event the read side is stuck on (the error itself is for operators: logs, the CLI). */
  projectionFailure: { projection: string; position: number; eventType: string } | null;
}

/** Read models further behind than this are not ready to serve: a request would wait out its read-your-writes timeout. */
export const READY_MAX_LAG_MS = 15_000;

const probe = (check: () => Promise<unknown>) =>
  check().then(
    () => 'healthy' as const,
    () => 'unavailable' as const,
  );

/** When the first event after `projected` was written (null: none); one event is read, however far behind the read models are. */
async function oldestUnapplied(store: EventStore, headPosition: number, projected: number): Promise<number | null> {
  if (headPosition <= projected) return null;
  const [oldest] = await store.readAll({ after: projected, maxCount: 1 });
  return oldest ? oldest.createdAt.getTime() : null;
}

export async function health(
  store: EventStore,
  db: ReadStore,
  progress: ProjectionProgress,
  now = Date.now(),
): Promise<Health> {
  const projectedPosition = progress.position;
  const [eventStore, readStore, headPosition, stored] = await Promise.all([
    probe(() => store.ping()),
    probe(() => db.ping()),
    store.headPosition().catch(() => null),
    storedFailures(db.collection(CHECKPOINTS), PROJECTIONS_CHECKPOINT).catch(() => null),
  ]);
  const oldest =
    headPosition === null
      ? undefined
      : await oldestUnapplied(store, headPosition, projectedPosition).catch(() => undefined);
  const projectionLagMs = oldest === undefined ? null : oldest === null ? 0 : Math.max(0, now - oldest);
  const catchingUp = oldest !== undefined && oldest !== null && oldest < progress.since;
  const failure = stored?.failure;
  return {
    eventStore,
    readStore,
    headPosition,
    projectedPosition,
    projectionLagMs,
    catchingUp,
    projectionFailure: failure
      ? { projection: failure.projection, position: failure.position, eventType: failure.event_type }
      : null,
  };
}

/** Stores reachable, no projection stuck on an event, and read models caught up. */
export const isReady = (h: Health): boolean =>
  h.eventStore === 'healthy' &&
  h.readStore === 'healthy' &&
  !h.projectionFailure &&
  !h.catchingUp &&
  h.projectionLagMs !== null &&
  h.projectionLagMs <= READY_MAX_LAG_MS;
