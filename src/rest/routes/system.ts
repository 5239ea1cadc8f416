import { Router } from 'express';
import { updateSetting } from '../../commands/system/settings.js';
import { listSettings } from '../../projections/settings/queries.js';
import { requireRole } from '../auth.js';
import { commandContext } from '../context.js';
import { type RestDeps, settled } from '../deps.js';

/** System settings by label (admin only). */
export function systemRoutes(deps: RestDeps): Router {
  const router = Router();

  router.get('/system/settings/', requireRole('admin'), async (_req, res) => {
    res.json(await listSettings(deps.db));
  });

  router.patch('/system/settings/:label/', requireRole('admin'), async (req, res) => {
    const label = req.params.label as string;
    const { position } = await updateSetting(deps.store, label, req.body, commandContext(req));
    await settled(deps, position);
    const settings = await listSettings(deps.db);
    res.json(settings.find((s) => s.label === label));
  });

  return router;
}
