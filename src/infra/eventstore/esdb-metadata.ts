/**
 * Event metadata as stored in EventStoreDB: ours, plus the server's own `$correlationId` and
 * `$causationId` keys, which its system projections ($by_correlation_id) read to follow a command's events.
 */
import type { EventMetadata } from './port.js';

type Stored = Record<string, unknown>;

export function toStoredMetadata(metadata: EventMetadata): Stored {
  return {
    ...metadata,
    $correlationId: metadata.correlationId,
    ...(metadata.causationId !== null ? { $causationId: metadata.causationId } : {}),
  };
}

/** Ours, without the server's keys; an event written by another tool with only the server's keys is read through them. */
export function fromStoredMetadata(stored: unknown): EventMetadata {
  const { $correlationId, $causationId, ...ours } = (stored ?? {}) as Stored;
  return {
    ...ours,
    correlationId: (ours.correlationId as string | undefined) ?? ($correlationId as string | undefined) ?? '',
    causationId: (ours.causationId as string | null | undefined) ?? ($causationId as string | undefined) ?? null,
  } as EventMetadata;
}
