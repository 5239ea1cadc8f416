import express, { type RequestHandler } from 'express';
import helmet from 'helmet';
import type { Logger } from 'pino';
import { apiDocsRouters } from './api-docs.js';
import { authenticator } from './auth.js';
import { TRUST_PROXY } from '../transport/client-address.js';
import type { RestDeps } from './deps.js';
import { errorHandler, notFoundHandler } from './errors.js';
import { inSeries } from './in-series.js';
import { jsonBodiesOnly } from './json-bodies.js';
import { publicBaseUrls } from '../transport/public-base-url.js';
import { refuseDeepJson } from './json-depth.js';
import { requestLogging } from './request-ids.js';
import { staticHeaders } from './static-headers.js';
import { createMetrics } from './metrics.js';
import { agentRoutes } from './routes/agents.js';
import { authRoutes } from './routes/auth.js';
import { embeddingRoutes } from './routes/embeddings.js';
import { documentRoutes } from './routes/documents.js';
import { chatRoutes } from './routes/chats.js';
import { embedPublicRoutes, embedWidgetRoutes } from './routes/embed-public.js';
import { HEALTH_PATHS, healthRoutes } from './routes/health.js';
import { keyRoutes } from './routes/keys.js';
import { systemRoutes } from './routes/system.js';
import { userRoutes } from './routes/users.js';
import { workspaceRoutes } from './routes/workspaces.js';

/** GraphQL over HTTP, built by the GraphQL module: its browser explorer (mounted at the root) and its API (at /graphql). */
export interface GraphQLHttp {
  explorer: RequestHandler;
  api: RequestHandler;
}

/** The HTTP face: REST under /api and /api/v1, GraphQL and its explorer on /graphql, health and metrics. */
export function httpApp(deps: RestDeps, logger: Logger, graphql: GraphQLHttp, environment: string) {
  const app = express();
  const metrics = createMetrics(deps.store.subscriptionErrors?.bind(deps.store));
  app.set('trust proxy', TRUST_PROXY);
  app.disable('x-powered-by');
  // No ETag on dynamic answers: hashing every JSON body cost a share of a small request, for 304s that only a
  // client revalidating with If-None-Match could get (it now gets the answer itself). Static files keep theirs.
  app.set('etag', false);

  publicBaseUrls(app, deps.publicOrigin);
  app.use(
    inSeries(
      requestLogging(logger),
      metrics.timer,
      staticHeaders(helmet({ contentSecurityPolicy: false })),
      jsonBodiesOnly,
      express.json({ limit: '1mb' }),
      refuseDeepJson,
    ),
  );
  // Entered by their GETs alone: every other request skipped a whole router's walk here.
  app.get(HEALTH_PATHS, healthRoutes(deps, metrics.registry));
  // Public and before authentication: the API description and Swagger UI need no token.
  const apiDocs = apiDocsRouters();
  app.use(['/api/v1/schema', '/api/schema'], metrics.routeBase, apiDocs.schema);
  app.use(['/api/v1/docs', '/api/docs'], metrics.routeBase, apiDocs.docs);
  app.use(authenticator(deps));
  // After authentication, so the budget is the user's whichever token they use.
  app.use(['/api/v1', '/api', '/graphql'], deps.apiRateLimit.middleware);

  // Each resource router under its own prefix (both `/api/...` and `/api/v1/...`), its routes relative to it:
  // a request enters only the router of its own resource instead of being matched against every router's
  // routes in turn (a list read passed 32 layer matches in 6 routers before its handler). The route label
  // (`routeBase` + `req.route.path`) and the OpenAPI drift test's walk still see the full pattern
  // (`/api/workspaces/:slug/`).
  const resources: [prefix: string, router: express.Router][] = [
    ['/auth', authRoutes(deps)],
    ['/users', userRoutes(deps)],
    ['/workspaces', workspaceRoutes(deps)],
    ['/keys', keyRoutes(deps)],
    ['/embeddings', embeddingRoutes(deps)],
    ['/documents', documentRoutes(deps)],
    ['/chats', chatRoutes(deps)],
    ['/agents', agentRoutes(deps)],
    ['/system', systemRoutes(deps, environment)],
    ['/embed', embedPublicRoutes(deps)],
  ];
  for (const [prefix, router] of resources) app.use([`/api/v1${prefix}`, `/api${prefix}`], metrics.routeBase, router);

  app.use(embedWidgetRoutes());
  app.use(graphql.explorer);
  app.use('/graphql', graphql.api);

  app.use(notFoundHandler);
  app.use(errorHandler);
  return app;
}
