/**
 * The commands ingestion jobs issue on their own (actorType 'system'). Event ids derive from the job
 * id and the step, so a retried or re-delivered job appends nothing twice; the decider also ignores
 * a late job of an earlier ingestion and a chunk batch already recorded.
 */
import { createHash } from 'node:crypto';
import { type DocumentState, documentDecider } from '../../domain/documents/document.js';
import type { Chunk } from '../../domain/documents/events.js';
import { type EventStore, MAX_APPEND_BYTES } from '../../infra/eventstore/port.js';
import type { CommandContext } from '../shared/context.js';
import { scopedId } from '../shared/event-ids.js';
import { currentState } from '../shared/current-state.js';
import { handleCommand } from '../shared/handle.js';

const documentStream = (documentId: number) => `document-${documentId}`;

/** The context of one step of a job: its command id (hence its event ids) is fixed by the job and the step. */
export function jobContext(jobId: string, step: string, now: Date): CommandContext {
  const commandId = scopedId('job', jobId, step);
  return {
    actor: null,
    system: true,
    commandId,
    idempotencyKey: null,
    correlationId: jobId,
    causationId: jobId,
    ip: null,
    userAgent: null,
    now,
  };
}

/**
 * The document's state straight from its stream (a job decides on the log, never on a read model),
 * folding only what the shared state cache has not seen yet.
 */
export const documentState = (store: EventStore, documentId: number): Promise<DocumentState> =>
  currentState(store, documentStream(documentId), documentDecider);

/**
 * Bytes of serialized chunks per DocumentChunksAdded: half the event store's append limit
 * (MAX_APPEND_BYTES, counted in UTF-8 bytes of JSON), which leaves ample room for the event's other
 * fields and its metadata. Counted in bytes, not characters: Cyrillic takes two bytes a character,
 * CJK three, and JSON escapes control characters in six.
 */
export const CHUNK_BATCH_BYTES = MAX_APPEND_BYTES / 2;

/** What one chunk adds to its event: its JSON and the comma that separates it from the next. */
const serializedBytes = (chunk: Chunk) => Buffer.byteLength(JSON.stringify(chunk)) + 1;

/** Cuts chunks into batches of at most `maxBytes` of serialized chunks (a chunk larger than that goes alone). */
export function batches(chunks: readonly Chunk[], maxBytes = CHUNK_BATCH_BYTES): { from: number; chunks: Chunk[] }[] {
  const out: { from: number; chunks: Chunk[] }[] = [];
  let current: Chunk[] = [];
  let size = 0;
  let from = 0;
  chunks.forEach((chunk, i) => {
    const bytes = serializedBytes(chunk);
    if (current.length > 0 && size + bytes > maxBytes) {
      out.push({ from, chunks: current });
      current = [];
      size = 0;
      from = i;
    }
    current.push(chunk);
    size += bytes;
  });
  if (current.length > 0) out.push({ from, chunks: current });
  return out;
}

export interface IngestionRef {
  jobId: string;
  documentId: number;
  ingestion: number;
}

/** Records the chunks of one ingestion, batch by batch; returns the global position of the last event written. */
export async function recordChunks(
  store: EventStore,
  ref: IngestionRef,
  chunks: readonly Chunk[],
  now: Date,
): Promise<number> {
  let position = 0;
  for (const batch of batches(chunks)) {
    const result = await handleCommand(
      store,
      documentStream(ref.documentId),
      documentDecider,
      {
        type: 'RecordChunks',
        ingestion: ref.ingestion,
        from: batch.from,
        chunks: batch.chunks,
      },
      jobContext(ref.jobId, `chunks:${batch.from}`, now),
    );
    position = Math.max(position, result.position);
  }
  return position;
}

export interface Outcome {
  chunkCount: number;
  characters: number;
  contentHash: string;
}

export async function markProcessed(
  store: EventStore,
  ref: IngestionRef,
  outcome: Outcome,
  now: Date,
): Promise<number> {
  const result = await handleCommand(
    store,
    documentStream(ref.documentId),
    documentDecider,
    {
      type: 'MarkProcessed',
      ingestion: ref.ingestion,
      ...outcome,
      now,
    },
    jobContext(ref.jobId, 'processed', now),
  );
  return result.position;
}

export async function markFailed(store: EventStore, ref: IngestionRef, reason: string, now: Date): Promise<number> {
  const result = await handleCommand(
    store,
    documentStream(ref.documentId),
    documentDecider,
    {
      type: 'MarkFailed',
      ingestion: ref.ingestion,
      reason,
      now,
    },
    jobContext(ref.jobId, 'failed', now),
  );
  return result.position;
}

/**
 * A watched document's stored source hashes differently from its last ingestion: start another one.
 * The command id is fixed by the document, the ingestion it follows and the new hash, so two sync
 * runs that see the same change record it once.
 */
export async function recordSourceChange(
  store: EventStore,
  documentId: number,
  afterIngestion: number,
  contentHash: string,
  now: Date,
) {
  return handleCommand(
    store,
    documentStream(documentId),
    documentDecider,
    {
      type: 'RecordSourceChange',
      contentHash,
      now,
    },
    jobContext(`watch:${documentId}:${afterIngestion}`, contentHash, now),
  );
}

/** The content hash recorded for a source: sha256 of its bytes, hex. */
export const contentHashOf = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
