import DataLoader from 'dataloader';
import type { ReadStore } from '../../infra/readstore/port.js';
import { type DocumentView, documentsOfWorkspaces } from '../../projections/documents/queries.js';
import { type ThreadView, threadsOfWorkspaces } from '../../projections/threads/queries.js';
import { findUsers, type UserView } from '../../projections/users/queries.js';

/** Per-request batching: nested fields of a list ask the read store once per field, not once per row. */
export function createLoaders(db: ReadStore) {
  return {
    users: new DataLoader<number, UserView | null>(async (ids) => {
      const found = await findUsers(db, ids);
      const byId = new Map(found.map((u) => [u.id, u]));
      return ids.map((id) => byId.get(id) ?? null);
    }),
    threadsByWorkspace: new DataLoader<number, ThreadView[]>(async (workspaceIds) => {
      const threads = await threadsOfWorkspaces(db, workspaceIds);
      return workspaceIds.map((id) => threads.filter((t) => t.workspace === id));
    }),
    documentsByWorkspace: new DataLoader<number, DocumentView[]>(async (workspaceIds) => {
      const documents = await documentsOfWorkspaces(db, workspaceIds);
      return workspaceIds.map((id) => documents.filter((d) => d.workspaceId === id));
    }),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;
