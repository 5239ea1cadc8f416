import { Router } from 'express';
import { logIn, refreshSession } from '../../commands/identity/login.js';
import { findUser, publicUser } from '../../projections/users/queries.js';
import { commandContext } from '../context.js';
import { type RestDeps, settled } from '../deps.js';

/** POST /auth/login/ and /auth/refresh/ (JWT pair; the refresh token rotates on every use). */
export function authRoutes(deps: RestDeps): Router {
  const router = Router();
  const limit = deps.authRateLimit.middleware;

  router.post('/login/', limit, async (req, res) => {
    const { access, refresh, userId, position } = await logIn(deps.store, deps.tokens, req.body, commandContext(req));
    await settled(deps, position);
    const user = await findUser(deps.db, userId);
    res.json({ access, refresh, user: user && publicUser(user) });
  });

  router.post('/refresh/', limit, async (req, res) => {
    res.json(await refreshSession(deps.store, deps.tokens, req.body, commandContext(req)));
  });

  return router;
}
