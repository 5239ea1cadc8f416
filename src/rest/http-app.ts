import express, { type RequestHandler } from 'express';
import helmet from 'helmet';
import type { Logger } from 'pino';
import { explorerRouter } from '../graphql/explorer.js';
import { apiDocsRouter } from './api-docs.js';
import { authenticator } from './auth.js';
import type { RestDeps } from './deps.js';
import { errorHandler, notFoundHandler } from './errors.js';
import { requestLogging } from './request-ids.js';
import { staticHeaders } from './static-headers.js';
import { createMetrics } from './metrics.js';
import { authRoutes } from './routes/auth.js';
import { embeddingRoutes } from './routes/embeddings.js';
import { documentRoutes } from './routes/documents.js';
import { chatRoutes } from './routes/chats.js';
import { embedPublicRoutes, embedWidgetRoutes } from './routes/embed-public.js';
import { healthRoutes } from './routes/health.js';
import { keyRoutes } from './routes/keys.js';
import { systemRoutes } from './routes/system.js';
import { userRoutes } from './routes/users.js';
import { workspaceRoutes } from './routes/workspaces.js';

/** The HTTP face: REST under /api and /api/v1, GraphQL and its explorer on /graphql, health and metrics. */
export function httpApp(deps: RestDeps, logger: Logger, graphql: RequestHandler, environment: string) {
  const app = express();
  const metrics = createMetrics();
  app.set('trust proxy', 'loopback');
  app.disable('x-powered-by');
  // No ETag on dynamic answers: hashing every JSON body cost a share of a small request, for 304s that only a
  // client revalidating with If-None-Match could get (it now gets the answer itself). Static files keep theirs.
  app.set('etag', false);

  app.use(requestLogging(logger));
  app.use(metrics.timer);
  app.use(staticHeaders(helmet({ contentSecurityPolicy: false })));
  app.use(express.json({ limit: '1mb' }));
  app.use(healthRoutes(deps, metrics.registry));
  // Public and before authentication: the API description and Swagger UI need no token.
  app.use(['/api/v1', '/api'], apiDocsRouter());
  app.use(authenticator(deps));
  // After authentication, so the budget is the user's whichever token they use.
  app.use(['/api/v1', '/api', '/graphql'], deps.apiRateLimit.middleware);

  const api = express.Router();
  for (const routes of [authRoutes, userRoutes, workspaceRoutes, keyRoutes, embeddingRoutes, documentRoutes, chatRoutes]) api.use(routes(deps));
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
