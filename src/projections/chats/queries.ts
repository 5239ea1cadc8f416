import type { Actor } from '../../domain/shared/actor.js';
import type { ChatMode } from '../../domain/chats/events.js';
import { isPrivileged } from '../../domain/identity/roles.js';
import type { Filter, FindOptions, ReadStore } from '../../infra/readstore/port.js';
import { notFound } from '../../domain/shared/errors.js';
import { containsAny } from '../shared/search.js';
import { WORKSPACES } from '../workspaces/projection.js';
import { findWorkspaceById } from '../workspaces/queries.js';
import { CHATS } from './projection.js';

export interface ChatSourceView {
  document_id: number;
  filename: string;
  chunk: number | null;
  score: number;
}

export interface ChatView {
  _id: string;
  id: number;
  prompt: string;
  response: string;
  workspace: number;
  thread: number | null;
  user: number;
  mode: ChatMode;
  feedback: boolean | null;
  comment: string | null;
  sources: ChatSourceView[];
  status: 'requested' | 'completed' | 'failed';
  created_at: string;
}

/** Only answered chats are shown: one still streaming, or one that failed, has no answer to show. */
const ANSWERED: Filter = { status: 'completed' };

/** Admins and managers see every chat; default users those of the workspaces they belong to. */
export async function visibleChats(db: ReadStore, actor: Actor): Promise<Filter> {
  if (isPrivileged(actor.role)) return ANSWERED;
  const memberOf = await db.collection(WORKSPACES).find({ members: actor.userId });
  return { ...ANSWERED, workspace: { $in: memberOf.map((w) => w.id as number) } };
}

export const findChat = (db: ReadStore, id: number) => db.collection<ChatView>(CHATS).findOne({ _id: String(id) });

export async function findVisibleChat(db: ReadStore, actor: Actor, id: number) {
  return db.collection<ChatView>(CHATS).findOne({ $and: [await visibleChats(db, actor), { _id: String(id) }] });
}

/**
 * One conversation: a thread's chats, or (without a thread) the user's own chats in the workspace's
 * default conversation. Oldest first. The prompt's history and the history endpoint both read this.
 */
export function conversationFilter(workspaceId: number, threadId: number | null, userId: number): Filter {
  return threadId === null
    ? { ...ANSWERED, workspace: workspaceId, thread: null, user: userId }
    : { ...ANSWERED, workspace: workspaceId, thread: threadId };
}

export async function conversation(
  db: ReadStore,
  workspaceId: number,
  threadId: number | null,
  userId: number,
  window: FindOptions,
) {
  const chats = db.collection<ChatView>(CHATS);
  const filter = conversationFilter(workspaceId, threadId, userId);
  const [results, count] = await Promise.all([chats.find(filter, { sort: { id: 1 }, ...window }), chats.count(filter)]);
  return { results, count };
}

/** The last `n` exchanges of a conversation, oldest first, for the prompt. */
export async function lastExchanges(
  db: ReadStore,
  workspaceId: number,
  threadId: number | null,
  userId: number,
  n: number,
) {
  if (n <= 0) return [];
  const latest = await db
    .collection<ChatView>(CHATS)
    .find(conversationFilter(workspaceId, threadId, userId), { sort: { id: -1 }, limit: n });
  return latest.reverse().map((c) => ({ prompt: c.prompt, response: c.response }));
}

/** The chats an actor may see that match `filter`, newest first. */
export async function listChats(db: ReadStore, actor: Actor, filter: Filter, window: FindOptions, sort: 1 | -1 = -1) {
  const chats = db.collection<ChatView>(CHATS);
  const scoped = { $and: [await visibleChats(db, actor), filter] };
  const [results, count] = await Promise.all([
    chats.find(scoped, { sort: { id: sort }, ...window }),
    chats.count(scoped),
  ]);
  return { results, count };
}

/** The chat as the API shows it. */
export const publicChat = (c: ChatView) => ({
  id: c.id,
  prompt: c.prompt,
  response: c.response,
  workspace: c.workspace,
  thread: c.thread,
  user: c.user,
  mode: c.mode,
  feedback: c.feedback,
  comment: c.comment,
  sources: c.sources,
  created_at: c.created_at,
});

export type PublicChat = ReturnType<typeof publicChat>;

/** A workspace's chats are asked about only by those who may see it: 404 otherwise. */
async function requireVisibleWorkspace(db: ReadStore, actor: Actor, workspaceId: number): Promise<void> {
  const ws = await findWorkspaceById(db, actor, workspaceId);
  if (!ws) throw notFound();
}

/** The history endpoint: a thread, or (without one) the actor's default conversation in the workspace. */
export async function chatHistory(
  db: ReadStore,
  actor: Actor,
  q: { workspaceId: number; threadId: number | null },
  window: FindOptions,
) {
  await requireVisibleWorkspace(db, actor, q.workspaceId);
  return conversation(db, q.workspaceId, q.threadId, actor.userId, window);
}

export const SEARCH_FIELDS = ['prompt', 'response'] as const;
export type SearchField = (typeof SEARCH_FIELDS)[number];

/** Chats whose prompt and/or response contain the words asked for (case-insensitive), newest first. */
export async function searchChats(
  db: ReadStore,
  actor: Actor,
  q: { query: string; param?: string; workspaceId: number | null; searchIn: readonly SearchField[] },
  window: FindOptions,
) {
  const text = containsAny(q.query, q.param ?? 'query', q.searchIn);
  if (q.workspaceId !== null) await requireVisibleWorkspace(db, actor, q.workspaceId);
  const filter: Filter = {
    ...text,
    ...(q.workspaceId !== null ? { workspace: q.workspaceId } : {}),
  };
  return listChats(db, actor, filter, window);
}

/**
 * The chats of a period an actor may see, oldest first, as the API shows them: what an export holds.
 * Bounds are inclusive; a workspace asked for by id must be visible (404 otherwise).
 */
export async function chatsOfPeriod(
  db: ReadStore,
  actor: Actor,
  q: { workspaceId: number | null; from: Date | null; to: Date | null; limit: number },
) {
  if (q.workspaceId !== null) await requireVisibleWorkspace(db, actor, q.workspaceId);
  const created: Record<string, string> = {};
  if (q.from) created.$gte = q.from.toISOString();
  if (q.to) created.$lte = q.to.toISOString();
  const filter: Filter = {
    ...(q.workspaceId !== null ? { workspace: q.workspaceId } : {}),
    ...(Object.keys(created).length ? { created_at: created } : {}),
  };
  const { results, count } = await listChats(db, actor, filter, { limit: q.limit }, 1);
  return { chats: results.map(publicChat), count };
}
