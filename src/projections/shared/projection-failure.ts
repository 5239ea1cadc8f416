import type { RecordedEvent } from '../../infra/eventstore/port.js';
import type { Collection } from '../../infra/readstore/port.js';

/** A projection threw on an event: the read models stop just before it until it applies. */
export class ProjectionFailure extends Error {
  readonly position: number;
  readonly eventType: string;

  constructor(
    readonly projection: string,
    event: RecordedEvent,
    readonly reason: unknown,
    /** The last position of the batch fully applied before this event, or null: none of it was. */
    readonly appliedThrough: number | null,
  ) {
    super(
      `Projection ${projection} failed on event ${event.position} (${event.type}): ${reason instanceof Error ? reason.message : String(reason)}`,
    );
    this.name = 'ProjectionFailure';
    this.position = event.position;
    this.eventType = event.type;
    if (reason instanceof Error) this.stack = `${this.stack}\nCaused by: ${reason.stack}`;
  }
}

/** Where the read side is stuck, as kept on the runner's checkpoint document. */
export interface StoredFailure {
  projection: string;
  position: number;
  event_type: string;
  error: string;
  since: string;
}

/**
 * The failure is kept in the read store, beside the checkpoint, so that every process (an API-only
 * one's /readyz and /metrics, `chronicle projections status`) sees it, and a restart remembers it.
 * `failures.<projection>` counts every failed attempt, for the metric, and is never reset.
 */
export async function recordFailure(
  checkpoints: Collection,
  name: string,
  failure: ProjectionFailure,
  since: string,
): Promise<void> {
  const stored: StoredFailure = {
    projection: failure.projection,
    position: failure.position,
    event_type: failure.eventType,
    error: failure.reason instanceof Error ? failure.reason.message : String(failure.reason),
    since,
  };
  await checkpoints.updateOne(
    { _id: name },
    { $set: { failure: stored }, $inc: { [`failures.${failure.projection}`]: 1 } },
    { upsert: true },
  );
}

export async function clearFailure(checkpoints: Collection, name: string): Promise<void> {
  await checkpoints.updateOne({ _id: name }, { $unset: { failure: true } });
}

/** The failure the read side is stuck on, if any, and the failed attempts per projection so far. */
export async function storedFailures(
  checkpoints: Collection,
  name: string,
): Promise<{ failure: StoredFailure | null; counts: Record<string, number> }> {
  const doc = await checkpoints.findOne({ _id: name });
  return {
    failure: (doc?.failure as StoredFailure | undefined) ?? null,
    counts: (doc?.failures as Record<string, number> | undefined) ?? {},
  };
}
