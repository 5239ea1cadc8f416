import { type Request, type Response, Router } from 'express';
import { generateKey, KEY_SHOWN_ONCE, revokeKey, verifyKey } from '../../commands/access/api-keys.js';
import { claimInvite, createInvite, disableInvite } from '../../commands/access/invites.js';
import { requestFingerprint, withIdempotency } from '../../commands/shared/idempotency.js';
import type { ApiKeyKind } from '../../domain/access/events.js';
import { notFound } from '../../domain/shared/errors.js';
import { listKeys, publicKey } from '../../projections/api-keys/queries.js';
import { findInvite, listInvites, publicInvite } from '../../projections/invites/queries.js';
import { findUser, publicUser } from '../../projections/users/queries.js';
import { requireAuth, requireRole } from '../auth.js';
import { commandContext } from '../context.js';
import { type RestDeps, settled } from '../deps.js';
import { lookupFilter } from '../filters.js';
import { findWindow, pageOf, sendPage } from '../pagination.js';
import { idParam } from '../params.js';

const INVITE_FILTERS = {
  id: 'number',
  status: 'string',
  created_by: 'number',
  claimed_by: 'number',
  created_at: 'date',
} as const;

/** The spec's API Keys App: API keys (admin), browser-extension keys (each user's own) and invites. */
export function keyRoutes(deps: RestDeps): Router {
  const router = Router();

  /** generate, list and revoke for one kind of key, under `/keys/<path>/`. */
  function keyEndpoints(path: string, kind: ApiKeyKind, listGuard: ReturnType<typeof requireRole>) {
    router.post(`/${path}/generate/`, requireAuth, async (req, res) => {
      // Never under withIdempotency: its recorded result would hold the secret.
      const { keyId, key, position } = await generateKey(deps.store, kind, commandContext(req));
      await settled(deps, position);
      res.status(201).json({ key, id: keyId, message: KEY_SHOWN_ONCE });
    });

    router.get(`/${path}/`, listGuard, async (req: Request, res: Response) => {
      const page = pageOf(req);
      const actor = req.actor!;
      const keys = await listKeys(deps.db, kind, kind === 'api' || actor.role === 'admin' ? null : actor.userId);
      const window = page.limit === undefined ? keys : keys.slice(page.offset, page.offset + page.limit);
      sendPage(req, res, page, window.map(publicKey), keys.length);
    });

    router.delete(`/${path}/:id/`, requireAuth, async (req, res) => {
      const { position } = await revokeKey(deps.store, kind, idParam(req), commandContext(req));
      await settled(deps, position);
      res.status(204).end();
    });
  }

  router.post('/api-keys/verify/', async (req, res) => {
    res.json(await verifyKey(deps.store, req.body));
  });
  keyEndpoints('api-keys', 'api', requireRole('admin'));
  keyEndpoints('browser-extension-keys', 'browser_extension', requireAuth);

  async function inviteResponse(inviteId: number, position: number) {
    await settled(deps, position);
    const invite = await findInvite(deps.db, inviteId);
    if (!invite) throw notFound();
    return publicInvite(invite);
  }

  router.post('/invites/generate/', requireRole('admin', 'manager'), async (req, res) => {
    const ctx = commandContext(req);
    const { inviteId, position } = await withIdempotency(
      deps.store,
      ctx,
      `create-invite|${JSON.stringify(req.body)}`,
      () => createInvite(deps.store, req.body, ctx),
    );
    res.status(201).json(await inviteResponse(inviteId, position));
  });

  router.get('/invites/', requireRole('admin', 'manager'), async (req, res) => {
    const page = pageOf(req);
    const { results, count } = await listInvites(deps.db, lookupFilter(req, INVITE_FILTERS), findWindow(page));
    sendPage(req, res, page, results.map(publicInvite), count);
  });

  router.post('/invites/:id/disable/', requireRole('admin', 'manager'), async (req, res) => {
    const { inviteId, position } = await disableInvite(deps.store, idParam(req), commandContext(req));
    res.json(await inviteResponse(inviteId, position));
  });

  router.post('/invites/claim/', async (req, res) => {
    const ctx = commandContext(req);
    const { userId, position } = await withIdempotency(
      deps.store,
      ctx,
      requestFingerprint('claim-invite', req.body),
      () => claimInvite(deps.store, req.body, ctx),
    );
    await settled(deps, position);
    const user = await findUser(deps.db, userId);
    if (!user) throw notFound();
    res.status(201).json(publicUser(user));
  });

  return router;
}
