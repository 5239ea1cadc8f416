/**
 * EventStoreDB's records as this port sees them: positions, which records are ours, and the
 * conversion to RecordedEvent, shared by the store's reads and its subscription.
 */
import type { Position, ResolvedEvent } from '@eventstore/db-client';
import { fromStoredMetadata } from './esdb-metadata.js';
import type { RecordedEvent } from './port.js';

// Servers before 22.6 answer stream reads with "no position" as the largest uint64.
const NO_POSITION = 2n ** 63n;

export type EsdbRecorded = NonNullable<ResolvedEvent['event']>;

export function isSystem(event: EsdbRecorded): boolean {
  return event.type.startsWith('$') || event.streamId.startsWith('$');
}

export function hasPosition(position: Position | undefined): position is Position {
  return position !== undefined && position.commit >= 0n && position.commit < NO_POSITION;
}

/** True when `position` comes strictly after `bound` in $all. */
export function isAfter(position: Position, bound: Position): boolean {
  return position.commit > bound.commit || (position.commit === bound.commit && position.prepare > bound.prepare);
}

export function fromNumber(after: number): Position {
  // Only the commit position is known here; using it as prepare too assumes commit == prepare, which holds for
  // events appended without explicit transactions (all of ours). Callers skip records at or before it anyway.
  return { commit: BigInt(after), prepare: BigInt(after) };
}

/** Our events are JSON; anything else (foreign binary events, system records) is skipped. */
export function toRecorded(event: EsdbRecorded): RecordedEvent | undefined {
  if (!event.isJson || isSystem(event)) return undefined;
  return {
    id: event.id,
    type: event.type,
    data: event.data,
    metadata: fromStoredMetadata(event.metadata),
    streamName: event.streamId,
    revision: Number(event.revision),
    position: hasPosition(event.position) ? Number(event.position.commit) : -1,
    createdAt: event.created,
  };
}

/** The serialized size of an event's data and metadata, as the server stored them. */
export function sizeOf(event: EsdbRecorded | undefined): number {
  if (!event) return 0;
  const size = (value: unknown) =>
    value instanceof Uint8Array ? value.byteLength : Buffer.byteLength(JSON.stringify(value) ?? '');
  return size(event.data) + size(event.metadata);
}
