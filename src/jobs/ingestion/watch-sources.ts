import { contentHashOf, recordSourceChange } from '../../commands/documents/ingestion.js';
import type { EventStore } from '../../infra/eventstore/port.js';
import { FileNotFoundError, type FileStore } from '../../infra/files/port.js';
import type { ReadStore } from '../../infra/readstore/port.js';

/** The repeatable job that re-reads watched documents' sources. */
export const WATCH_DOCUMENTS = 'watch-documents';

/**
 * What the sync saw of a failed ingestion's source. A ready document's last hash is in the read
 * model; a failed one has none (DocumentFailed carries no hash), so the first sync after the
 * failure notes the source's hash here, and only a later change re-ingests it: a source that
 * cannot be read is not retried every interval.
 */
export const WATCHED_SOURCES = 'watched_sources';

export interface WatchDeps {
  store: EventStore;
  db: ReadStore;
  files: Pick<FileStore, 'get'>;
  now?: () => Date;
}

/**
 * One sync: each watched document that is not being ingested has its stored source read and
 * hashed; a hash other than its last ingestion's records a source change (the reactor then
 * ingests it again). Returns the ids of the documents found changed.
 */
export async function syncWatchedDocuments(deps: WatchDeps): Promise<number[]> {
  const now = deps.now ?? (() => new Date());
  const seen = deps.db.collection(WATCHED_SOURCES);
  const watched = await deps.db.collection('documents').find({ watched: true, status: { $in: ['ready', 'failed'] } });
  const changed: number[] = [];
  for (const doc of watched) {
    let bytes: Buffer;
    try {
      bytes = await deps.files.get(doc.storedName as string);
    } catch (err) {
      if (err instanceof FileNotFoundError) continue; // deleted meanwhile, or gone from disk: nothing to re-read
      throw err;
    }
    const hash = contentHashOf(bytes);
    const ingestion = doc.ingestion as number;
    let known = doc.contentHash as string | null;
    if (doc.status === 'failed') {
      const note = await seen.findOne({ _id: String(doc.id) });
      if (note?.ingestion !== ingestion) {
        await seen.updateOne({ _id: String(doc.id) }, { $set: { ingestion, contentHash: hash } }, { upsert: true });
        continue;
      }
      known = note.contentHash as string;
    }
    if (hash === known) continue;
    const result = await recordSourceChange(deps.store, doc.id as number, ingestion, hash, now());
    if (result.events.length > 0) changed.push(doc.id as number);
  }
  return changed;
}
