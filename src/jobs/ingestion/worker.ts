import type { EventStore } from '../../infra/eventstore/port.js';
import type { FileStore } from '../../infra/files/port.js';
import type { JobQueue } from '../../infra/queue/port.js';
import type { ReadStore } from '../../infra/readstore/port.js';
import type { ProjectionProgress } from '../../projections/shared/progress.js';
import { CHECKPOINTS } from '../../projections/shared/runner.js';
import { INGEST_DOCUMENT, type IngestJobData, ingestDocument, onIngestionFailed } from './ingest-document.js';
import { ingestionReactor, resumeUnfinished, type RetryPolicy } from './reactor.js';
import { syncWatchedDocuments, WATCH_DOCUMENTS } from './watch-sources.js';

export interface IngestionWorkerOptions {
  store: EventStore;
  db: ReadStore;
  files: FileStore;
  queue: JobQueue;
  progress: ProjectionProgress;
  concurrency: number;
  retry: RetryPolicy;
  watchIntervalMs: number;
  onError: (err: unknown, what: string) => void;
}

/** How long start-up waits for the read models before looking for ingestions a crash cut short. */
const RESUME_WAIT_MS = 10 * 60 * 1000;

/**
 * The worker side of documents: ingestion jobs (and marking those out of attempts failed), the
 * reactor that enqueues them, the schedule that re-reads watched sources, and, once the read
 * models have caught up, the revival of ingestions lost with an in-process queue. Returns a stop.
 */
export async function startIngestionWorker(options: IngestionWorkerOptions): Promise<() => Promise<void>> {
  const { store, db, files, queue, progress, retry, onError } = options;
  const stopListening = queue.onFailed((failure) => {
    onIngestionFailed(store, failure, onError).catch((err) => onError(err, 'could not mark a failed ingestion'));
  });
  await queue.process<IngestJobData>(
    INGEST_DOCUMENT,
    (job) => ingestDocument({ store, db, files, log: onError }, job),
    { concurrency: options.concurrency },
  );
  await queue.process(WATCH_DOCUMENTS, async () => {
    await syncWatchedDocuments({ store, db, files });
  });
  await queue.repeat(WATCH_DOCUMENTS, options.watchIntervalMs);

  const reactor = ingestionReactor(store, db.collection(CHECKPOINTS), queue, retry, (err) =>
    onError(err, 'ingestion reactor failed; retrying'),
  );
  await reactor.start();

  let stopped = false;
  let resuming: Promise<unknown> = Promise.resolve();
  const head = await store.headPosition();
  void progress.waitFor(head, RESUME_WAIT_MS).then((caughtUp) => {
    if (caughtUp && !stopped)
      resuming = resumeUnfinished(store, db, queue, retry).catch((err) =>
        onError(err, 'could not resume unfinished ingestions'),
      );
  });

  return async () => {
    stopped = true;
    stopListening();
    await reactor.stop();
    await resuming;
  };
}
