import { Router } from 'express';
import type { Registry } from 'prom-client';
import { health, isReady } from '../../projections/shared/health.js';
import type { RestDeps } from '../deps.js';
import { projectionFailureMetric } from '../projection-metrics.js';

/** The paths healthRoutes serves (GET), for mounting it on them alone. */
export const HEALTH_PATHS = ['/healthz', '/readyz', '/metrics'];

/** /healthz (the process answers), /readyz (stores reachable, read models caught up), /metrics. */
export function healthRoutes(deps: RestDeps, registry: Registry): Router {
  const router = Router();
  projectionFailureMetric(deps.db, registry);
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    const h = await health(deps.store, deps.db, deps.progress);
    const ready = isReady(h);
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not ready', ...h });
  });
  router.get('/metrics', async (_req, res) => {
    res.type(registry.contentType).send(await registry.metrics());
  });
  return router;
}
