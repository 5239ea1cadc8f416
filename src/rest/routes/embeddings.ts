import { type Request, Router } from 'express';
import {
  createEmbedConfig,
  deleteEmbedConfig,
  embedUuid,
  toggleEmbedConfig,
  updateEmbedConfig,
} from '../../commands/embeds/embed-configs.js';
import { withIdempotency } from '../../commands/shared/idempotency.js';
import { embedSnippet } from '../../domain/embeds/snippet.js';
import { invalid, notFound } from '../../domain/shared/errors.js';
import {
  findEmbedConfig,
  listEmbedConfigs,
  publicEmbedConfig,
  publicSession,
  sessionsOf,
} from '../../projections/embeds/queries.js';
import { findWorkspaceById } from '../../projections/workspaces/queries.js';
import { requireRole } from '../auth.js';
import { commandContext } from '../context.js';
import { type RestDeps, settled } from '../deps.js';
import { pageOf, sendPage } from '../pagination.js';

/** Where this server is reached, as the client reached it (behind a trusted proxy, as it says). */
export const baseUrlOf = (req: Request) => `${req.protocol}://${req.get('host')}`;

/** The spec's Embeddings App: embed configs for the chat widget (admins and managers). */
export function embeddingRoutes(deps: RestDeps): Router {
  const router = Router();
  router.use(requireRole('admin', 'manager'));

  async function config(uuid: string, position = 0) {
    await settled(deps, position);
    const found = await findEmbedConfig(deps.db, uuid);
    if (!found) throw notFound();
    return found;
  }

  router.get('/configs/', async (req, res) => {
    const page = pageOf(req);
    const configs = await listEmbedConfigs(deps.db);
    const window = page.limit === undefined ? configs : configs.slice(page.offset, page.offset + page.limit);
    sendPage(req, res, page, window.map(publicEmbedConfig), configs.length);
  });

  router.post('/configs/', async (req, res) => {
    const ctx = commandContext(req);
    const { uuid, position } = await withIdempotency(deps.store, ctx, `create-embed|${JSON.stringify(req.body)}`, () =>
      createEmbedConfig(deps.store, req.body, ctx),
    );
    res.status(201).json(publicEmbedConfig(await config(uuid, position)));
  });

  router.get('/configs/:uuid/', async (req, res) => {
    res.json(publicEmbedConfig(await config(embedUuid(req.params.uuid))));
  });

  for (const method of ['patch', 'put'] as const) {
    router[method]('/configs/:uuid/', async (req, res) => {
      const { uuid, position } = await updateEmbedConfig(deps.store, req.params.uuid, req.body, commandContext(req));
      res.json(publicEmbedConfig(await config(uuid, position)));
    });
  }

  router.delete('/configs/:uuid/', async (req, res) => {
    const { position } = await deleteEmbedConfig(deps.store, req.params.uuid, commandContext(req));
    await settled(deps, position);
    res.status(204).end();
  });

  router.post('/configs/:uuid/toggle/', async (req, res) => {
    const { uuid, position } = await toggleEmbedConfig(deps.store, req.params.uuid, commandContext(req));
    res.json(publicEmbedConfig(await config(uuid, position)));
  });

  router.get('/configs/:uuid/embed_code/', async (req, res) => {
    const found = await config(embedUuid(req.params.uuid));
    const workspace = await findWorkspaceById(deps.db, req.actor!, found.workspace);
    res.json({
      embed_code: embedSnippet(req.publicBaseUrl ?? baseUrlOf(req), found.uuid),
      uuid: found.uuid,
      workspace: workspace?.name ?? null,
    });
  });

  router.get('/chats/sessions/', async (req, res) => {
    const raw = req.query.embed_config;
    if (raw === undefined) throw invalid('Validation failed.', { embed_config: ['This query parameter is required.'] });
    const found = await config(embedUuid(raw));
    const page = pageOf(req);
    const sessions = await sessionsOf(deps.db, found.uuid);
    const window = page.limit === undefined ? sessions : sessions.slice(page.offset, page.offset + page.limit);
    sendPage(req, res, page, window.map(publicSession), sessions.length);
  });

  return router;
}
