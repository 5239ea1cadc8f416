import { randomUUID } from 'node:crypto';
import type { EventStore } from '../../infra/eventstore/port.js';
import { type CommandContext, metadataFor } from './context.js';
import { retryOnConflict } from './retry.js';

/**
 * Uniqueness without trusting eventually consistent read models: a value is owned by whoever appended
 * `Reserved` last on its stream (e.g. `username-alice`); `Released` frees it again.
 */
export const reservationStream = (kind: string, value: string) => `${kind}-${value.toLowerCase()}`;

/** Returns true when `owner` now holds the value (also when it already did). */
export function reserve(store: EventStore, stream: string, owner: string, ctx: CommandContext): Promise<boolean> {
  return retryOnConflict(async () => {
    const [last] = await store.readStream(stream, { direction: 'backwards', maxCount: 1 });
    if (last?.type === 'Reserved') return last.data.owner === owner;
    await store.appendToStream(
      stream,
      [{ id: randomUUID(), type: 'Reserved', data: { owner }, metadata: metadataFor(ctx) }],
      last ? last.revision : 'no_stream',
    );
    return true;
  });
}

export function release(store: EventStore, stream: string, owner: string, ctx: CommandContext): Promise<void> {
  return retryOnConflict(async () => {
    const [last] = await store.readStream(stream, { direction: 'backwards', maxCount: 1 });
    if (last?.type !== 'Reserved' || last.data.owner !== owner) return;
    await store.appendToStream(
      stream,
      [{ id: randomUUID(), type: 'Released', data: { owner }, metadata: metadataFor(ctx) }],
      last.revision,
    );
  });
}

/** The current owner of a value, or null. */
export async function ownerOf(store: EventStore, stream: string): Promise<string | null> {
  const [last] = await store.readStream(stream, { direction: 'backwards', maxCount: 1, readOnly: true });
  return last?.type === 'Reserved' ? (last.data.owner as string) : null;
}
