import { randomUUID } from 'node:crypto';
import express, { type RequestHandler } from 'express';
import helmet from 'helmet';
import type { Logger } from 'pino';
import { pinoHttp } from 'pino-http';
import { explorerRouter } from '../graphql/explorer.js';
import { authenticator } from './auth.js';
import type { RestDeps } from './deps.js';
import { errorHandler, notFoundHandler } from './errors.js';
import { createMetrics } from './metrics.js';
import { authRoutes } from './routes/auth.js';
import { embedPublicRoutes, embedWidgetRoutes } from './routes/embed-public.js';
import { healthRoutes } from './routes/health.js';
import { systemRoutes } from './routes/system.js';
import { userRoutes } from './routes/users.js';
import { workspaceRoutes } from './routes/workspaces.js';

/** The HTTP face: REST under /api and /api/v1, GraphQL and its explorer on /graphql, health and metrics. */
export function httpApp(deps: RestDeps, logger: Logger, graphql: RequestHandler, environment: string) {
  const app = express();
  const metrics = createMetrics();
  app.set('trust proxy', 'loopback');
  app.disable('x-powered-by');

  app.use(pinoHttp({
    logger,
    genReqId: (req, res) => {
      const given = req.headers['x-request-id'];
      const id = typeof given === 'string' && given.length <= 128 ? given : randomUUID();
      res.setHeader('X-Request-Id', id);
      return id;
    },
    autoLogging: { ignore: (req) => req.url === '/healthz' || req.url === '/metrics' },
  }));
  app.use(metrics.timer);
  app.use(helmet({ contentSecurityPolicy: false }));
  app.use(express.json({ limit: '1mb' }));
  app.use(healthRoutes(deps, metrics.registry));
  app.use(authenticator(deps.db, deps.tokens));

  const api = express.Router();
  for (const routes of [authRoutes, userRoutes, workspaceRoutes]) api.use(routes(deps));
  api.use(systemRoutes(deps, environment));
  api.use(embedPublicRoutes(deps));
  app.use(['/api/v1', '/api'], api);

  app.use(embedWidgetRoutes());
  app.use(explorerRouter());
  app.use('/graphql', graphql);

  app.use(notFoundHandler);
  app.use(errorHandler);
  return app;
}
