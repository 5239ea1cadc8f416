import type { Actor } from '../../domain/shared/actor.js';
import type { DocumentStatus } from '../../domain/documents/events.js';
import { isPrivileged } from '../../domain/identity/roles.js';
import type { Filter, FindOptions, ReadStore } from '../../infra/readstore/port.js';
import { servedUserObject } from '../shared/user-object.js';
import { WORKSPACES } from '../workspaces/projection.js';
import { DOCUMENT_CHUNKS, DOCUMENTS } from './projection.js';

export interface DocumentView {
  _id: string;
  id: number;
  filename: string;
  workspaceId: number;
  status: DocumentStatus;
  pinned: boolean;
  watched: boolean;
  metadata: Record<string, unknown>;
  size: number;
  mimeType: string;
  format: string;
  storedName: string;
  chunkCount: number;
  characters: number;
  contentHash: string | null;
  ingestion: number;
  error: string | null;
  uploadedBy: number;
  createdAt: string;
  updatedAt: string;
}

export interface ChunkView {
  _id: string;
  documentId: number;
  workspaceId: number;
  ingestion: number;
  index: number;
  text: string;
  start: number;
  filename: string;
}

/**
 * Documents live in workspaces: admins and managers see every workspace's (a deleted workspace takes
 * its documents with it), default users only those of the workspaces they belong to.
 */
async function visibleTo(db: ReadStore, actor: Actor): Promise<Filter> {
  if (isPrivileged(actor.role)) return {};
  const mine = await db.collection(WORKSPACES).find({ members: actor.userId });
  return { workspaceId: { $in: mine.map((w) => w.id as number) } };
}

export async function listDocuments(db: ReadStore, actor: Actor, filter: Filter, options: FindOptions) {
  const coll = db.collection<DocumentView>(DOCUMENTS);
  const scoped = { $and: [await visibleTo(db, actor), filter] };
  const [results, count] = await Promise.all([coll.find(scoped, { sort: { id: 1 }, ...options }), coll.count(scoped)]);
  return { results, count };
}

export async function findDocument(db: ReadStore, actor: Actor, id: number): Promise<DocumentView | null> {
  return db.collection<DocumentView>(DOCUMENTS).findOne({ $and: [await visibleTo(db, actor), { _id: String(id) }] });
}

/** Batch lookup for GraphQL's Workspace.documents (the caller has already been shown those workspaces). */
export const documentsOfWorkspaces = (db: ReadStore, workspaceIds: readonly number[]) =>
  db.collection<DocumentView>(DOCUMENTS).find({ workspaceId: { $in: [...workspaceIds] } }, { sort: { id: 1 } });

/** The chunks of a document's latest ingestion, in order. */
export const chunksOfDocument = (db: ReadStore, documentId: number) =>
  db.collection<ChunkView>(DOCUMENT_CHUNKS).find({ documentId }, { sort: { index: 1 } });

/** The document as the API shows it; `error` only when it failed. */
export function publicDocument(d: DocumentView) {
  return {
    id: d.id,
    filename: d.filename,
    workspace: d.workspaceId,
    status: d.status,
    pinned: d.pinned,
    watched: d.watched,
    metadata: servedUserObject(d.metadata),
    size: d.size,
    mime_type: d.mimeType,
    chunk_count: d.chunkCount,
    created_at: d.createdAt,
    ...(d.status === 'failed' ? { error: d.error } : {}),
  };
}
