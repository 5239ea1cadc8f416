import type { ReadStore } from '../../infra/readstore/port.js';
import { THREADS } from './projection.js';

export interface ThreadView {
  _id: string;
  id: number;
  name: string;
  slug: string;
  workspace: number;
  user: number;
  created_at: string;
}

export const threadsOfWorkspace = (db: ReadStore, workspaceId: number) =>
  db.collection<ThreadView>(THREADS).find({ workspace: workspaceId }, { sort: { id: 1 } });

export const threadsOfWorkspaces = (db: ReadStore, workspaceIds: readonly number[]) =>
  db.collection<ThreadView>(THREADS).find({ workspace: { $in: [...workspaceIds] } }, { sort: { id: 1 } });

export const findThread = (db: ReadStore, id: number) =>
  db.collection<ThreadView>(THREADS).findOne({ _id: String(id) });

export const publicThread = (t: ThreadView) => ({
  id: t.id,
  name: t.name,
  slug: t.slug,
  workspace: t.workspace,
  user: t.user,
  created_at: t.created_at,
});
