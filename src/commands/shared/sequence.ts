import { randomUUID } from 'node:crypto';
import type { EventStore } from '../../infra/eventstore/port.js';
import { type CommandContext, metadataFor } from './context.js';
import { retryOnConflict } from './retry.js';

/** Integer ids for the API: one event per id on `sequence-<category>`; the id is the new revision + 1. Gaps are allowed. */
export function nextId(store: EventStore, category: string, ctx: CommandContext): Promise<number> {
  const stream = `sequence-${category}`;
  return retryOnConflict(async () => {
    const [last] = await store.readStream(stream, { direction: 'backwards', maxCount: 1 });
    const { nextExpectedRevision } = await store.appendToStream(
      stream,
      [{ id: randomUUID(), type: 'IdAllocated', data: {}, metadata: metadataFor(ctx) }],
      last ? last.revision : 'no_stream',
    );
    return nextExpectedRevision + 1;
  });
}
