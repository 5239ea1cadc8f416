import type { DocumentDeleted, DocumentUploaded } from '../domain/documents/events.js';
import type { WorkspaceDeleted } from '../domain/workspaces/events.js';
import type { EventStore, RecordedEvent } from '../infra/eventstore/port.js';
import type { FileStore } from '../infra/files/port.js';
import type { Collection } from '../infra/readstore/port.js';
import { CheckpointedSubscriber } from '../projections/shared/checkpointed-subscriber.js';

const PAGE = 1000;

/**
 * Removes the stored file of each deleted document, and of every document of a deleted workspace
 * (which leaves no event per document). Checkpointed like every reactor: after a crash it takes up
 * the deletions it had not finished; removing a file already gone is no error, so a redelivery is harmless.
 */
export function fileCleanupReactor(store: EventStore, checkpoints: Collection, files: Pick<FileStore, 'remove'>, onError: (err: Error) => void) {
  return new CheckpointedSubscriber({
    name: 'reactor-file-cleanup',
    store,
    checkpoints,
    types: ['DocumentDeleted', 'WorkspaceDeleted'],
    onError,
    async handle(events: RecordedEvent[]) {
      for (const event of events) {
        const names = event.type === 'DocumentDeleted'
          ? [(event as unknown as DocumentDeleted).data.storedName]
          : await storedNamesIn(store, (event as unknown as WorkspaceDeleted).data.workspaceId, event.position);
        for (const name of names) await files.remove(name);
      }
    },
  });
}

/** The stored names of the documents uploaded into a workspace before `position` (read from the log: read models may have dropped them). */
async function storedNamesIn(store: EventStore, workspaceId: number, position: number): Promise<string[]> {
  const names: string[] = [];
  for (let after = 0; ;) {
    const page = await store.readAll({ after, maxCount: PAGE, types: ['DocumentUploaded'] });
    for (const event of page) {
      if (event.position > position) return names;
      const upload = (event as unknown as DocumentUploaded).data;
      if (upload.workspaceId === workspaceId) names.push(upload.storedName);
    }
    if (page.length < PAGE) return names;
    after = page[page.length - 1].position;
  }
}
