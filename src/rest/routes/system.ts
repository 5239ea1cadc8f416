import { Router } from 'express';
import { currentSetting, updateSetting } from '../../commands/system/settings.js';
import { invalid, notFound } from '../../domain/shared/errors.js';
import { hostFigures } from '../host-figures.js';
import { publicEventLog } from '../../projections/event-logs/queries.js';
import { listSettings } from '../../projections/settings/queries.js';
import { health } from '../../projections/shared/health.js';
import { countUsers } from '../../projections/users/queries.js';
import { PAST_SETTINGS } from '../../projections/time-travel/reads.js';
import { readsOf } from '../as-of.js';
import { requireRole } from '../auth.js';
import { commandContext } from '../context.js';
import { type RestDeps, settled } from '../deps.js';
import { lookupFilter } from '../filters.js';
import { findWindow, pageOf, sendPage } from '../pagination.js';
import { APP_VERSION } from '../version.js';
import { auditRoutes } from './audit.js';

/** Without `limit`, the event log answers its newest entries only: the whole history can be millions. */
const UNPAGED_EVENT_LOGS = 1000;

/** The spec's System Settings App: status, setup state, settings by label, event logs. */
export function systemRoutes(deps: RestDeps, environment: string): Router {
  const router = Router();

  router.get('/status/', requireRole('admin'), async (_req, res) => {
    const [h, system, llmProvider] = await Promise.all([
      health(deps.store, deps.db, deps.progress),
      hostFigures(),
      currentSetting(deps.store, 'llm_provider'),
    ]);
    const healthy = h.eventStore === 'healthy' && h.readStore === 'healthy';
    res.json({
      status: healthy ? 'online' : 'degraded',
      version: APP_VERSION,
      environment,
      system,
      database: { status: healthy ? 'healthy' : 'unhealthy', event_store: h.eventStore, read_store: h.readStore },
      projections: {
        head_position: h.headPosition,
        projected_position: h.projectedPosition,
        lag_ms: h.projectionLagMs,
      },
      settings: { multi_user_mode: true, llm_provider: deps.llm.serverWide(llmProvider) },
    });
  });

  router.get('/setup-complete/', async (_req, res) => {
    const [users, allowRegistration, appName] = await Promise.all([
      countUsers(deps.db),
      currentSetting(deps.store, 'allow_registration'),
      currentSetting(deps.store, 'custom_app_name'),
    ]);
    res.json({
      setup_complete: users > 0,
      multi_user_mode: true,
      allow_registration: allowRegistration,
      custom_app_name: appName,
    });
  });

  router.get('/settings/', requireRole('admin'), async (req, res) => {
    res.json(await listSettings(await readsOf(req, deps, PAST_SETTINGS)));
  });

  router.get('/settings/:label/', requireRole('admin'), async (req, res) => {
    const setting = (await listSettings(await readsOf(req, deps, PAST_SETTINGS))).find(
      (s) => s.label === req.params.label,
    );
    if (!setting) throw notFound();
    res.json(setting);
  });

  router.patch('/settings/:label/', requireRole('admin'), async (req, res) => {
    const label = req.params.label as string;
    const { position } = await updateSetting(deps.store, label, req.body, commandContext(req));
    await settled(deps, position);
    const settings = await listSettings(deps.db);
    res.json(settings.find((s) => s.label === label));
  });

  router.get('/event-logs/', requireRole('admin'), async (req, res) => {
    const page = pageOf(req);
    const filter = lookupFilter(req, {
      event: 'string',
      type: 'string',
      user_id: 'number',
      occurred_at: 'date',
      id: 'number',
    });
    for (const [param, op] of [
      ['from_date', '$gte'],
      ['to_date', '$lte'],
    ] as const) {
      const raw = req.query[param];
      if (raw === undefined) continue;
      const date = new Date(String(raw));
      if (Number.isNaN(date.getTime())) throw invalid('Validation failed.', { [param]: ['Enter a valid date/time.'] });
      filter.occurred_at = { ...(filter.occurred_at ?? {}), [op]: date.toISOString() };
    }
    const window = page.limit === undefined ? { limit: UNPAGED_EVENT_LOGS } : findWindow(page);
    const { results, count } = await deps.eventLogs.list(filter, window);
    sendPage(req, res, page, results.map(publicEventLog), count);
  });

  router.use(auditRoutes(deps));

  return router;
}
