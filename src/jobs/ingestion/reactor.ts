import type { DocumentSourceChanged, DocumentUploaded } from '../../domain/documents/events.js';
import type { EventStore, RecordedEvent } from '../../infra/eventstore/port.js';
import type { JobQueue } from '../../infra/queue/port.js';
import type { Collection, ReadStore } from '../../infra/readstore/port.js';
import { DOCUMENTS } from '../../projections/documents/projection.js';
import { CheckpointedSubscriber } from '../../projections/shared/checkpointed-subscriber.js';
import { INGEST_DOCUMENT, type IngestJobData } from './ingest-document.js';
import type { DocumentFormat } from '../../commands/documents/formats.js';

/** Events that start an ingestion. */
export const INGESTION_STARTS = ['DocumentUploaded', 'DocumentSourceChanged'] as const;

export interface RetryPolicy {
  attempts: number;
  backoffMs: number;
}

/**
 * Turns each upload and each change of a watched source into an ingestion job whose id is the
 * event's id: after a restart the reactor re-enqueues what followed its checkpoint and the queue
 * drops the ids it already holds, so nothing is lost or run twice.
 */
export function ingestionReactor(
  store: EventStore,
  checkpoints: Collection,
  queue: JobQueue,
  retry: RetryPolicy,
  onError: (err: Error) => void,
) {
  return new CheckpointedSubscriber({
    name: 'reactor-ingestion',
    store,
    checkpoints,
    types: INGESTION_STARTS,
    onError,
    async handle(events: RecordedEvent[]) {
      for (const event of events) await enqueueIngestion(store, queue, event, retry);
    },
  });
}

export async function enqueueIngestion(
  store: EventStore,
  queue: JobQueue,
  event: RecordedEvent,
  retry: RetryPolicy,
  rerunIfFailed = false,
): Promise<void> {
  const data = await jobData(store, event);
  if (data) await queue.enqueue(INGEST_DOCUMENT, data, { jobId: event.id, ...retry, rerunIfFailed });
}

/** The job's data: the upload's own, or for a changed source, the upload's file facts and the new ingestion number. */
async function jobData(store: EventStore, event: RecordedEvent): Promise<IngestJobData | null> {
  if (event.type === 'DocumentUploaded') return fromUpload((event as unknown as DocumentUploaded).data);
  const { documentId, ingestion } = (event as unknown as DocumentSourceChanged).data;
  const [first] = await store.readStream(event.streamName, { maxCount: 1 });
  if (first?.type !== 'DocumentUploaded') return null; // cannot happen: a document's stream opens with its upload
  return { ...fromUpload((first as unknown as DocumentUploaded).data), documentId, ingestion };
}

function fromUpload(upload: DocumentUploaded['data']): IngestJobData {
  const { documentId, workspaceId, ingestion, storedName, format, filename } = upload;
  return { documentId, workspaceId, ingestion, storedName, format: format as DocumentFormat, filename };
}

/**
 * Every document still `processing` at start-up (once the read models have caught up) ends `ready`
 * or `failed`. Jobs of the in-process queue die with the process, after the reactor's checkpoint has
 * passed their events; a BullMQ job may have failed its last attempt in a process that died before
 * marking the document failed. Each such document gets its job again, under the id of the event that
 * started its current ingestion: a failed one runs again (its document then ends one way or the
 * other), one waiting, running or done is left alone, so this revives only what was lost.
 */
export async function resumeUnfinished(
  store: EventStore,
  db: ReadStore,
  queue: JobQueue,
  retry: RetryPolicy,
): Promise<number> {
  const unfinished = await db.collection(DOCUMENTS).find({ status: 'processing' });
  let resumed = 0;
  for (const doc of unfinished) {
    const start = await ingestionStart(store, `document-${doc.id}`, doc.ingestion as number);
    if (!start) continue;
    await enqueueIngestion(store, queue, start, retry, true);
    resumed++;
  }
  return resumed;
}

const PAGE = 100;

/** The event that started ingestion number `ingestion`, found from the end of the stream (it is usually near). */
async function ingestionStart(store: EventStore, stream: string, ingestion: number): Promise<RecordedEvent | null> {
  let fromRevision: number | undefined;
  for (;;) {
    const page = await store.readStream(stream, {
      direction: 'backwards',
      maxCount: PAGE,
      ...(fromRevision !== undefined ? { fromRevision } : {}),
    });
    for (const event of page) {
      if ((INGESTION_STARTS as readonly string[]).includes(event.type) && event.data.ingestion === ingestion)
        return event;
    }
    const last = page.at(-1);
    if (page.length < PAGE || !last || last.revision === 0) return null;
    fromRevision = last.revision - 1;
  }
}
