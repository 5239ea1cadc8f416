import {
  contentHashOf,
  documentState,
  type IngestionRef,
  markFailed,
  markProcessed,
  recordChunks,
} from '../../commands/documents/ingestion.js';
import type { Chunk } from '../../domain/documents/events.js';
import type { EventStore } from '../../infra/eventstore/port.js';
import { FileNotFoundError, type FileStore } from '../../infra/files/port.js';
import type { FailedJob, Job } from '../../infra/queue/port.js';
import type { ReadStore } from '../../infra/readstore/port.js';
import { listSettings } from '../../projections/settings/queries.js';
import type { ChunkOptions } from './chunk.js';
import { ExtractionAborted, ExtractionError, extractChunks } from './extract.js';
import type { DocumentFormat } from '../../commands/documents/formats.js';

export const INGEST_DOCUMENT = 'ingest-document';

/** What the reactor puts in a job: enough to read and split the source without another lookup. */
export interface IngestJobData {
  documentId: number;
  workspaceId: number;
  ingestion: number;
  storedName: string;
  format: DocumentFormat;
  filename: string;
}

export interface IngestDeps {
  store: EventStore;
  db: ReadStore;
  files: Pick<FileStore, 'get'>;
  now?: () => Date;
  /** Where the raw cause of a failed ingestion goes (the document itself shows only a public reason). */
  log?: (err: unknown, what: string) => void;
  /** Reads and splits a file; extractChunks (a worker thread within the extraction budget) unless a test swaps it. */
  extract?: typeof extractChunks;
  /** How often a running extraction looks whether its document was deleted meanwhile (default 250 ms). */
  cancelCheckMs?: number;
}

/** The chunking settings as the settings read model has them now. */
export async function chunkOptions(db: ReadStore): Promise<ChunkOptions> {
  const settings = new Map((await listSettings(db)).map((s) => [s.label, s.value]));
  const chunkSize = Number(settings.get('text_splitter_chunk_size'));
  const chunkOverlap = Number(settings.get('text_splitter_chunk_overlap'));
  // The settings' rules keep the overlap below the size; a read model caught between two updates might not.
  return { chunkSize, chunkOverlap: Math.min(chunkOverlap, chunkSize - 1) };
}

/**
 * One ingestion: read the stored source, extract its text, split it, record the chunks, mark the
 * document processed. An unreadable source marks it failed at once; anything else (store or disk
 * trouble) throws, so the queue retries with backoff and, out of attempts, onIngestionFailed marks it.
 * Skips a job whose ingestion is no longer under way (already finished, superseded, or deleted).
 */
export async function ingestDocument(deps: IngestDeps, job: Job<IngestJobData>): Promise<void> {
  const { documentId, ingestion, storedName, format } = job.data;
  const now = deps.now ?? (() => new Date());
  const ref: IngestionRef = { jobId: job.id, documentId, ingestion };
  const state = await documentState(deps.store, documentId);
  if (state.status !== 'processing' || state.ingestion !== ingestion) return;

  let bytes: Buffer;
  try {
    bytes = await deps.files.get(storedName);
  } catch (err) {
    if (!(err instanceof FileNotFoundError)) throw err;
    await markFailed(deps.store, ref, 'The stored file is missing.', now());
    return;
  }

  let extracted: { characters: number; chunks: Chunk[] };
  const cancel = whenNoLongerUnderWay(deps.store, ref, deps.cancelCheckMs ?? CANCEL_CHECK_MS);
  try {
    extracted = await (deps.extract ?? extractChunks)(format, bytes, await chunkOptions(deps.db), {
      signal: cancel.signal,
    });
  } catch (err) {
    if (err instanceof ExtractionAborted) return; // deleted or superseded: its worker is stopped, nothing to record
    deps.log?.(err, `document ${documentId}: text extraction failed`);
    await markFailed(
      deps.store,
      ref,
      err instanceof ExtractionError ? err.reason : 'Could not extract text from this file.',
      now(),
    );
    return;
  } finally {
    cancel.stop();
  }

  const { characters, chunks } = extracted;
  await recordChunks(deps.store, ref, chunks, now());
  await markProcessed(
    deps.store,
    ref,
    { chunkCount: chunks.length, characters, contentHash: contentHashOf(bytes) },
    now(),
  );
}

const CANCEL_CHECK_MS = 250;

/**
 * A signal that fires once the ingestion is no longer under way (its document deleted, or another
 * ingestion started): read from the document's stream, so it works whichever process the delete came
 * through. A failed look is left for the next one.
 */
function whenNoLongerUnderWay(
  store: EventStore,
  ref: IngestionRef,
  everyMs: number,
): { signal: AbortSignal; stop: () => void } {
  const controller = new AbortController();
  let looking = false;
  const timer = setInterval(() => {
    if (looking) return;
    looking = true;
    documentState(store, ref.documentId)
      .then((state) => {
        if (state.status !== 'processing' || state.ingestion !== ref.ingestion) controller.abort();
      })
      .catch(() => {})
      .finally(() => {
        looking = false;
      });
  }, everyMs);
  timer.unref();
  return { signal: controller.signal, stop: () => clearInterval(timer) };
}

/**
 * A job out of attempts: its document ends failed (a late one changes nothing). The last error (a path,
 * a driver's message) goes to the log; the document says only that it could not be processed.
 */
export async function onIngestionFailed(
  store: EventStore,
  failure: FailedJob,
  log: (err: unknown, what: string) => void,
  now = new Date(),
): Promise<void> {
  if (failure.name !== INGEST_DOCUMENT) return;
  const { documentId, ingestion } = failure.data as IngestJobData;
  log(new Error(failure.error), `document ${documentId}: ingestion failed after ${failure.attempts} attempts`);
  const reason = `The document could not be processed (${failure.attempts} attempts). Please upload it again.`;
  await markFailed(store, { jobId: failure.id, documentId, ingestion }, reason, now);
}
