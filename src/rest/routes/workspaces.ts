import { Router } from 'express';
import { withIdempotency } from '../../commands/shared/idempotency.js';
import { createThread, deleteThread, renameThread } from '../../commands/workspaces/threads.js';
import {
  addWorkspaceMember,
  createWorkspace,
  deleteWorkspace,
  removeWorkspaceMember,
  updateWorkspace,
} from '../../commands/workspaces/workspaces.js';
import { notFound } from '../../domain/shared/errors.js';
import { findThread, publicThread, threadsOfWorkspace } from '../../projections/threads/queries.js';
import {
  findWorkspaceById,
  findWorkspaceBySlug,
  listWorkspaces,
  publicWorkspace,
} from '../../projections/workspaces/queries.js';
import { PAST_WORKSPACES } from '../../projections/time-travel/reads.js';
import { readsOf } from '../as-of.js';
import { requireAuth } from '../auth.js';
import { commandContext } from '../context.js';
import { type RestDeps, settled } from '../deps.js';
import { lookupFilter, textSearch } from '../filters.js';
import { findWindow, pageOf, sendPage } from '../pagination.js';
import { idParam } from '../params.js';

const WORKSPACE_FILTERS = {
  id: 'number',
  name: 'string',
  slug: 'string',
  chat_mode: 'string',
  chat_provider: 'string',
  chat_model: 'string',
  user_count: 'number',
  document_count: 'number',
  created_at: 'date',
} as const;

/** The spec's Workspaces App: workspaces, their members and threads. */
export function workspaceRoutes(deps: RestDeps): Router {
  const router = Router();
  router.use(requireAuth);

  async function workspaceById(req: Parameters<typeof commandContext>[0], id: number, position: number) {
    await settled(deps, position);
    const ws = await findWorkspaceById(deps.db, req.actor!, id);
    if (!ws) throw notFound();
    return publicWorkspace(ws);
  }

  async function visibleWorkspace(req: Parameters<typeof commandContext>[0], db = deps.db) {
    const ws = await findWorkspaceBySlug(db, req.actor!, req.params.slug as string);
    if (!ws) throw notFound();
    return ws;
  }

  router.get('/', async (req, res) => {
    const page = pageOf(req);
    const filter = { ...lookupFilter(req, WORKSPACE_FILTERS), ...textSearch(req, ['name', 'slug']) };
    const db = await readsOf(req, deps, PAST_WORKSPACES);
    const { results, count } = await listWorkspaces(db, req.actor!, filter, findWindow(page));
    sendPage(req, res, page, results.map(publicWorkspace), count);
  });

  router.post('/', async (req, res) => {
    const ctx = commandContext(req);
    const { workspaceId, position } = await withIdempotency(
      deps.store,
      ctx,
      `create-workspace|${JSON.stringify(req.body)}`,
      () => createWorkspace(deps.store, req.body, ctx),
    );
    res.status(201).json(await workspaceById(req, workspaceId, position));
  });

  router.get('/:slug/', async (req, res) => {
    res.json(publicWorkspace(await visibleWorkspace(req, await readsOf(req, deps, PAST_WORKSPACES))));
  });

  router.patch('/:slug/', async (req, res) => {
    const { workspaceId, position } = await updateWorkspace(deps.store, req.params.slug, req.body, commandContext(req));
    res.json(await workspaceById(req, workspaceId, position));
  });

  router.delete('/:slug/', async (req, res) => {
    const { position } = await deleteWorkspace(deps.store, req.params.slug, commandContext(req));
    await settled(deps, position);
    res.status(204).end();
  });

  router.post('/:slug/add_user/', async (req, res) => {
    const { workspaceId, position } = await addWorkspaceMember(
      deps.store,
      req.params.slug,
      req.body,
      commandContext(req),
    );
    res.json(await workspaceById(req, workspaceId, position));
  });

  router.post('/:slug/remove_user/', async (req, res) => {
    const { workspaceId, position } = await removeWorkspaceMember(
      deps.store,
      req.params.slug,
      req.body,
      commandContext(req),
    );
    res.json(await workspaceById(req, workspaceId, position));
  });

  router.get('/:slug/threads/', async (req, res) => {
    const db = await readsOf(req, deps, PAST_WORKSPACES);
    const ws = await visibleWorkspace(req, db);
    const page = pageOf(req);
    const threads = (await threadsOfWorkspace(db, ws.id)).map(publicThread);
    const window = page.limit === undefined ? threads : threads.slice(page.offset, page.offset + page.limit);
    sendPage(req, res, page, window, threads.length);
  });

  router.post('/:slug/threads/', async (req, res) => {
    const ctx = commandContext(req);
    const { threadId, position } = await withIdempotency(
      deps.store,
      ctx,
      `create-thread|${req.params.slug}|${JSON.stringify(req.body)}`,
      () => createThread(deps.store, req.params.slug, req.body, ctx),
    );
    await settled(deps, position);
    const thread = await findThread(deps.db, threadId);
    if (!thread) throw notFound();
    res.status(201).json(publicThread(thread));
  });

  router.patch('/:slug/threads/:id/', async (req, res) => {
    const { threadId, position } = await renameThread(
      deps.store,
      req.params.slug,
      idParam(req),
      req.body,
      commandContext(req),
    );
    await settled(deps, position);
    const thread = await findThread(deps.db, threadId);
    if (!thread) throw notFound();
    res.json(publicThread(thread));
  });

  router.delete('/:slug/threads/:id/', async (req, res) => {
    const { position } = await deleteThread(deps.store, req.params.slug, idParam(req), commandContext(req));
    await settled(deps, position);
    res.status(204).end();
  });

  return router;
}
