import type { DocumentDeleted, DocumentUploaded } from '../domain/documents/events.js';
import type { WorkspaceDeleted } from '../domain/workspaces/events.js';
import type { EventStore, RecordedEvent } from '../infra/eventstore/port.js';
import type { FileStore } from '../infra/files/port.js';
import type { Collection, Doc } from '../infra/readstore/port.js';
import { CheckpointedSubscriber } from '../projections/shared/checkpointed-subscriber.js';

/** The reactor's own read model: the stored file of every document not yet deleted, by workspace. */
export const STORED_FILES = 'stored_files';

interface StoredFile extends Doc {
  workspaceId: number;
  storedName: string;
}

/**
 * Removes the stored file of each deleted document, and of every document of a deleted workspace
 * (which leaves no event per document). It keeps the files it knows of in a read model of its own, fed
 * by the uploads it sees in log order, so a workspace's files are found by an index rather than by
 * reading the log from its start. Checkpointed like every reactor: after a crash it takes up the
 * deletions it had not finished; removing a file already gone is no error, so a redelivery is harmless.
 */
export function fileCleanupReactor(
  store: EventStore,
  checkpoints: Collection,
  storedFiles: Collection,
  files: Pick<FileStore, 'remove'>,
  onError: (err: Error) => void,
) {
  const known = storedFiles as Collection<StoredFile>;
  const subscriber = new CheckpointedSubscriber({
    // A checkpoint of its own for the read model: it is built from the log's start, uploads included.
    name: 'reactor-file-cleanup-2',
    store,
    checkpoints,
    types: ['DocumentUploaded', 'DocumentDeleted', 'WorkspaceDeleted'],
    onError,
    async handle(events: RecordedEvent[]) {
      for (const event of events) {
        if (event.type === 'DocumentUploaded') {
          const { documentId, workspaceId, storedName } = (event as unknown as DocumentUploaded).data;
          await known.updateOne({ _id: String(documentId) }, { $set: { workspaceId, storedName } }, { upsert: true });
        } else if (event.type === 'DocumentDeleted') {
          const { documentId, storedName } = (event as unknown as DocumentDeleted).data;
          await files.remove(storedName);
          await known.deleteOne({ _id: String(documentId) });
        } else {
          const { workspaceId } = (event as unknown as WorkspaceDeleted).data;
          for (const { storedName } of await known.find({ workspaceId })) await files.remove(storedName);
          await known.deleteMany({ workspaceId });
        }
      }
    },
  });
  return {
    async start() {
      await known.ensureIndex(['workspaceId']);
      await subscriber.start();
    },
    stop: () => subscriber.stop(),
    checkpoint: () => subscriber.checkpoint(),
  };
}
