import type { Actor } from '../../domain/shared/actor.js';
import { isPrivileged } from '../../domain/identity/roles.js';
import type { Filter, FindOptions, ReadStore } from '../../infra/readstore/port.js';
import { WORKSPACES } from './projection.js';

export interface WorkspaceView {
  _id: string;
  id: number;
  name: string;
  slug: string;
  chat_mode: 'chat' | 'query';
  chat_provider: string | null;
  chat_model: string | null;
  openai_prompt: string | null;
  openai_temp: number;
  top_n: number;
  similarity_threshold: number;
  chat_history: number;
  query_refusal_response: string;
  members: number[];
  user_count: number;
  document_count: number;
  created_at: string;
  updated_at: string;
}

/** Admins and managers see every workspace; default users only those they belong to. */
export const visibleTo = (actor: Actor): Filter => (isPrivileged(actor.role) ? {} : { members: actor.userId });

export async function listWorkspaces(db: ReadStore, actor: Actor, filter: Filter, options: FindOptions) {
  const coll = db.collection<WorkspaceView>(WORKSPACES);
  const scoped = { $and: [visibleTo(actor), filter] };
  const [results, count] = await Promise.all([coll.find(scoped, { sort: { id: 1 }, ...options }), coll.count(scoped)]);
  return { results, count };
}

export const findWorkspaceBySlug = (db: ReadStore, actor: Actor, slug: string) =>
  db.collection<WorkspaceView>(WORKSPACES).findOne({ $and: [visibleTo(actor), { slug }] });

/** `ws` if the actor may see it (the same rule as `visibleTo`, checked on a document in hand). */
export const seenBy = (actor: Actor, ws: WorkspaceView | null) =>
  ws && (isPrivileged(actor.role) || ws.members.includes(actor.userId)) ? ws : null;

/** By key, then the visibility rule in memory: a scoped filter would test membership document by document. */
export const findWorkspaceById = async (db: ReadStore, actor: Actor, id: number) =>
  seenBy(actor, await db.collection<WorkspaceView>(WORKSPACES).findOne({ _id: String(id) }));

const RECENT_READS = 64;
const recentReads = new WeakMap<ReadStore, Map<string, Promise<WorkspaceView | null>>>();

/**
 * The workspace as projected once `position` is reached, read once however many subscribers one notice
 * wakes (a thousand members each asking for the same document was most of a fan-out's cost). Callers
 * check visibility with `seenBy`; the documents are shared, so nobody may change them.
 */
export function workspaceAfter(db: ReadStore, id: number, position: number): Promise<WorkspaceView | null> {
  let reads = recentReads.get(db);
  if (!reads) recentReads.set(db, (reads = new Map()));
  const key = `${id}@${position}`;
  let read = reads.get(key);
  if (!read) {
    read = db.collection<WorkspaceView>(WORKSPACES).findOne({ _id: String(id) });
    reads.set(key, read);
    if (reads.size > RECENT_READS) reads.delete(reads.keys().next().value!);
  }
  return read;
}

/** Batch lookup for GraphQL fields that resolve many workspaces at once. */
export const workspacesByIds = (db: ReadStore, ids: readonly number[]) =>
  db.collection<WorkspaceView>(WORKSPACES).find({ _id: { $in: ids.map(String) } });

/** The workspace as the API shows it: every setting, no internal bookkeeping. */
export const publicWorkspace = (w: WorkspaceView) => ({
  id: w.id,
  name: w.name,
  slug: w.slug,
  chat_mode: w.chat_mode,
  chat_provider: w.chat_provider,
  chat_model: w.chat_model,
  openai_prompt: w.openai_prompt,
  openai_temp: w.openai_temp,
  top_n: w.top_n,
  similarity_threshold: w.similarity_threshold,
  chat_history: w.chat_history,
  query_refusal_response: w.query_refusal_response,
  user_count: w.user_count,
  document_count: w.document_count,
  created_at: w.created_at,
  updated_at: w.updated_at,
});
