import { Router } from 'express';
import { deleteUser, updateUser } from '../../commands/identity/admin.js';
import { changePassword, requestPasswordReset, resetPassword } from '../../commands/identity/passwords.js';
import { registerUser } from '../../commands/identity/register.js';
import { requestFingerprint, withIdempotency } from '../../commands/shared/idempotency.js';
import { isPrivileged } from '../../domain/identity/roles.js';
import { forbidden, notFound } from '../../domain/shared/errors.js';
import { findUser, listUsers, publicUser } from '../../projections/users/queries.js';
import { PAST_USERS } from '../../projections/time-travel/reads.js';
import { readsOf } from '../as-of.js';
import { requireAuth, requireRole } from '../auth.js';
import { commandContext } from '../context.js';
import { type RestDeps, settled } from '../deps.js';
import { lookupFilter, textSearch } from '../filters.js';
import { findWindow, pageOf, sendPage } from '../pagination.js';
import { eraseUserAndPurge } from '../../transport/erase-user.js';
import { idParam } from '../params.js';

const USER_FILTERS = {
  id: 'number',
  username: 'string',
  email: 'string',
  role: 'string',
  suspended: 'boolean',
  created_at: 'date',
} as const;

/** The spec's Authentication App plus user administration (list, update, delete). */
export function userRoutes(deps: RestDeps): Router {
  const router = Router();
  const limit = deps.authRateLimit.middleware;

  async function userResponse(userId: number, position: number, db = deps.db) {
    await settled(deps, position);
    const user = await findUser(db, userId);
    if (!user) throw notFound();
    return publicUser(user);
  }

  router.post('/', async (req, res) => {
    const ctx = commandContext(req);
    const { userId, position } = await withIdempotency(deps.store, ctx, requestFingerprint('register', req.body), () =>
      registerUser(deps.store, req.body, ctx),
    );
    res.status(201).json(await userResponse(userId, position));
  });

  router.get('/', requireRole('admin', 'manager'), async (req, res) => {
    const page = pageOf(req);
    const filter = { ...lookupFilter(req, USER_FILTERS), ...textSearch(req, ['username', 'email']) };
    const db = await readsOf(req, deps, PAST_USERS);
    const { results, count } = await listUsers(db, filter, findWindow(page));
    sendPage(req, res, page, results.map(publicUser), count);
  });

  router.get('/me/', requireAuth, async (req, res) => {
    res.json(await userResponse(req.actor!.userId, 0));
  });

  router.post('/change_password/', requireAuth, async (req, res) => {
    const { position } = await changePassword(deps.store, req.body, commandContext(req));
    await settled(deps, position);
    res.json({ detail: 'Password changed. Please log in again with the new password.' });
  });

  router.post('/request_password_reset/', limit, async (req, res) => {
    const { position } = await requestPasswordReset(deps.store, deps.tokens, req.body, commandContext(req));
    await settled(deps, position);
    res.json({
      detail: 'If an account with that username exists, a password reset token has been sent to its email address.',
    });
  });

  router.post('/reset_password/', limit, async (req, res) => {
    const { position } = await resetPassword(deps.store, req.body, commandContext(req));
    await settled(deps, position);
    res.json({ detail: 'Password has been reset. Please log in with the new password.' });
  });

  router.get('/:id/', requireAuth, async (req, res) => {
    const id = idParam(req);
    if (id !== req.actor!.userId && !isPrivileged(req.actor!.role)) throw forbidden();
    res.json(await userResponse(id, 0, await readsOf(req, deps, PAST_USERS)));
  });

  router.patch('/:id/', requireAuth, async (req, res) => {
    const id = idParam(req);
    const { position } = await updateUser(deps.store, id, req.body, commandContext(req));
    res.json(await userResponse(id, position));
  });

  router.delete('/:id/', requireAuth, async (req, res) => {
    const { position } = await deleteUser(deps.store, idParam(req), commandContext(req));
    await settled(deps, position);
    res.status(204).end();
  });

  router.post('/:id/erase/', requireAuth, async (req, res) => {
    await eraseUserAndPurge(deps, idParam(req), commandContext(req));
    res.status(204).end();
  });

  return router;
}
