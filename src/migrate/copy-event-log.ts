import { isDeepStrictEqual } from 'node:util';
import type { EventStore, EventToAppend, RecordedEvent } from '../infra/eventstore/port.js';

/**
 * Copies a whole event log from one store into another, event by event in global order, keeping each
 * event's id, type, data, metadata, stream and revision (and its time where the target can keep it).
 *
 * The target itself says where to resume: whatever it holds must be, event for event, the start of the
 * source's log (that is what an earlier, interrupted copy leaves), and copying goes on after it. A target
 * holding anything else is refused before a single event is written.
 */

export interface CopyProgress {
  /** Events in the target so far (already there before this run, plus copied). */
  events: number;
  /** Source position of the last event the target holds. */
  position: number;
  /** The source's head when the copy started (positions, not counts: EventStoreDB's are byte offsets). */
  head: number;
}

export interface CopyOptions {
  /** Events read from the source per batch (default 200). */
  batchSize?: number;
  /** Told once the target's existing events are checked, then after every batch. */
  onProgress?: (progress: CopyProgress) => void;
  /** Checked between batches: an aborted copy stops after the batch it is writing, to be resumed. */
  signal?: AbortSignal;
}

export interface CopyResult {
  /** Events the target already held from an earlier run. */
  resumedAfter: number;
  /** Events this run copied. */
  copied: number;
  /** Source position of the last event copied (or found). */
  position: number;
}

export class ForeignEventsError extends Error {
  constructor(detail: string) {
    super(`The target holds events this copy did not write (${detail}); refusing to copy into it.`);
    this.name = 'ForeignEventsError';
  }
}

// Chunk events weigh up to ~1 MB each: a batch of 200 holds at most ~200 MB.
const DEFAULT_BATCH = 200;

/** A store's events in order, a page at a time. */
async function* eventsOf(store: EventStore, batchSize: number): AsyncGenerator<RecordedEvent> {
  let after = 0;
  for (;;) {
    const page = await store.readAll({ after, maxCount: batchSize });
    if (page.length === 0) return;
    yield* page;
    after = page[page.length - 1]!.position;
  }
}

const describe = (e: RecordedEvent) => `${e.type} ${e.id} at ${e.streamName}@${e.revision}`;

/** The same event as the copy writes it: everything but the position, which each store assigns. */
function sameEvent(copy: RecordedEvent, original: RecordedEvent): boolean {
  return (
    copy.id === original.id &&
    copy.type === original.type &&
    copy.streamName === original.streamName &&
    copy.revision === original.revision &&
    isDeepStrictEqual(copy.data, original.data) &&
    isDeepStrictEqual(copy.metadata, original.metadata)
  );
}

/**
 * Walks the target's log beside the source's: every target event must be the source's event at the
 * same place. Answers how many there are and the source position of the last one (0 when empty).
 */
async function copiedPrefix(
  source: EventStore,
  target: EventStore,
  batchSize: number,
): Promise<{ events: number; position: number }> {
  const originals = eventsOf(source, batchSize);
  let events = 0;
  let position = 0;
  for await (const copy of eventsOf(target, batchSize)) {
    const next = await originals.next();
    if (next.done) throw new ForeignEventsError(`${describe(copy)} is beyond the end of the source's log`);
    if (!sameEvent(copy, next.value)) {
      throw new ForeignEventsError(
        `event ${events + 1} is ${describe(copy)} where the source has ${describe(next.value)}`,
      );
    }
    events += 1;
    position = next.value.position;
  }
  await originals.return(undefined);
  return { events, position };
}

const toAppend = (e: RecordedEvent): EventToAppend => ({
  id: e.id,
  type: e.type,
  data: e.data,
  metadata: e.metadata,
  createdAt: e.createdAt,
});

/** Consecutive events of one stream go in one append: fewer round trips, the global order kept. */
function runsOfOneStream(batch: readonly RecordedEvent[]): RecordedEvent[][] {
  const runs: RecordedEvent[][] = [];
  for (const event of batch) {
    const run = runs[runs.length - 1];
    if (run && run[0]!.streamName === event.streamName) run.push(event);
    else runs.push([event]);
  }
  return runs;
}

export async function copyEventLog(
  source: EventStore,
  target: EventStore,
  options: CopyOptions = {},
): Promise<CopyResult> {
  const batchSize = options.batchSize ?? DEFAULT_BATCH;
  const head = await source.headPosition();
  const prefix = await copiedPrefix(source, target, batchSize);
  let position = prefix.position;
  let copied = 0;
  options.onProgress?.({ events: prefix.events, position, head });

  while (!options.signal?.aborted) {
    const batch = await source.readAll({ after: position, maxCount: batchSize });
    if (batch.length === 0) break;
    // One append at a time, each awaited: the target's global order is the source's. The expected
    // revision is the one before the run's first event, so an event can never be written twice, nor a
    // stream's events land at other revisions than in the source.
    for (const run of runsOfOneStream(batch)) {
      const first = run[0]!;
      const last = run[run.length - 1]!;
      const result = await target.appendToStream(
        first.streamName,
        run.map(toAppend),
        first.revision === 0 ? 'no_stream' : first.revision - 1,
      );
      if (result.nextExpectedRevision !== last.revision) {
        throw new Error(
          `${first.streamName} reached revision ${result.nextExpectedRevision} in the target, not ${last.revision} as in the source`,
        );
      }
    }
    copied += batch.length;
    position = batch[batch.length - 1]!.position;
    options.onProgress?.({ events: prefix.events + copied, position, head: Math.max(head, position) });
  }
  return { resumedAfter: prefix.events, copied, position };
}
