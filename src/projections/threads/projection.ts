import type { ThreadEvent, WorkspaceDeleted } from '../../domain/workspaces/events.js';
import { applyGuarded, deleteGuarded, type Projection } from '../shared/projection.js';

export const THREADS = 'threads';

export const threadsProjection: Projection<ThreadEvent | WorkspaceDeleted> = {
  name: 'threads',
  collections: [THREADS],
  handles: ['ThreadCreated', 'ThreadRenamed', 'ThreadDeleted', 'WorkspaceDeleted'],
  async setup(db) {
    await db.collection(THREADS).ensureIndex(['workspace']);
  },
  async apply(event, db) {
    const threads = db.collection(THREADS);
    const pos = event.position;
    switch (event.type) {
      case 'ThreadCreated': {
        const d = event.data;
        return applyGuarded(threads, String(d.threadId), pos, {
          $set: {
            id: d.threadId,
            name: d.name,
            slug: d.slug,
            workspace: d.workspaceId,
            user: d.userId,
            created_at: d.at,
          },
        });
      }
      case 'ThreadRenamed':
        return applyGuarded(threads, String(event.data.threadId), pos, { $set: { name: event.data.name } }, false);
      case 'ThreadDeleted':
        return deleteGuarded(threads, String(event.data.threadId), pos);
      case 'WorkspaceDeleted':
        await threads.deleteMany({ workspace: event.data.workspaceId });
    }
  },
};
