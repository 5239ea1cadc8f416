import { APP_VERSION } from '../version.js';
import { agentsSection } from './agents.js';
import { auditSection } from './audit.js';
import { authenticationSection } from './authentication.js';
import { chatsSection } from './chats.js';
import { errors, sharedComponents, starting } from './components.js';
import { documentsSection } from './documents.js';
import { embeddingsSection } from './embeddings.js';
import { keysSection } from './keys.js';
import { operationsSection } from './operations.js';
import { systemSection } from './system.js';
import { type ApiSection, HTTP_METHODS, type Operation, type Paths, type Schema } from './types.js';
import { workspacesSection } from './workspaces.js';

/** One section per spec app, in the spec's order, then the operational endpoints. */
export const API_SECTIONS: readonly ApiSection[] = [
  authenticationSection,
  workspacesSection,
  documentsSection,
  chatsSection,
  agentsSection,
  embeddingsSection,
  systemSection,
  auditSection,
  keysSection,
  operationsSection,
];

/** Mounted before the general rate limit (see http-app.ts), so it never answers 429. */
const OUTSIDE_RATE_LIMIT = new Set(['/api/schema/']);

/** Answered by the starting server itself (startup-server.ts): /healthz 200, /readyz its progress. */
const ANSWERED_WHILE_STARTING = new Set(['/healthz', '/readyz']);

const DESCRIPTION = `Chronicle's REST API: AnythingLLM's API over an event-sourced store. GraphQL is at \`/graphql\`.

- **Auth**: \`Authorization: Bearer <access JWT>\` (from \`POST /api/auth/login/\`) or \`Bearer sk_live_…\` (an API key, acting as its creator). Public operations (no security requirement) ignore a bad or expired token as they ignore none.
- **Versions**: every \`/api/…\` path is also served under \`/api/v1/…\`. Paths end with \`/\`.
- **Lists**: without \`limit\`, a plain JSON array; with \`limit\` (and \`offset\`), \`{count, next, previous, results}\`.
- **Filters**: \`field=value\` and Django lookups \`__gte\`, \`__lte\`, \`__gt\`, \`__lt\`, \`__in\`, \`__icontains\`; \`search\`/\`q\`/\`query\` for text.
- **Errors**: 400 \`{error, field_errors}\`; 401/403/404 \`{detail}\`; 409, 413, 415, 429, 500, 503 \`{error}\`. A refused request changes nothing; a 503 on a write means it was recorded but is not yet readable, except while the server is starting (then every operation answers 503 with \`Retry-After\`, and \`/readyz\` says \`starting\`).
- **Idempotency**: send \`Idempotency-Key\` on a write to make retries safe.
- **Rate limits**: auth endpoints and uploads per minute, every \`/api\` request per user or client, chats per user per day.`;

const IDEMPOTENCY_KEY = {
  name: 'Idempotency-Key',
  in: 'header',
  required: false,
  description: 'Retrying a write with the same key appends nothing new and answers the first result.',
  schema: { type: 'string', maxLength: 255 },
} as const;

/** What every operation answers beyond its own responses, said once here instead of in every section. */
function withCommonResponses(path: string, method: string, op: Operation): Operation {
  const common = {
    ...(op.security === undefined ? errors(401) : {}),
    // express.json's limit (http-app.ts) applies before any route.
    ...(op.requestBody?.content['application/json'] ? errors(413) : {}),
    ...(path.startsWith('/api/') && !OUTSIDE_RATE_LIMIT.has(path) ? errors(429) : {}),
    ...errors(500),
  };
  const writes = path.startsWith('/api/') && ['post', 'put', 'patch', 'delete'].includes(method);
  // Every REST write but the multipart upload reads JSON only: another body is a 415, malformed JSON a 400.
  const readsJson = writes && !op.requestBody?.content?.['multipart/form-data'];
  if (readsJson) Object.assign(common, errors(400, 415));
  // A write answers once the read models include it (read-your-writes), or 503 after the bounded wait;
  // and any operation a 503 while the server starts, but the two probes, which say so themselves.
  if (writes) Object.assign(common, errors(503));
  else if (!ANSWERED_WHILE_STARTING.has(path)) Object.assign(common, starting);
  return {
    ...op,
    ...(writes ? { parameters: [...(op.parameters ?? []), { $ref: '#/components/parameters/IdempotencyKey' }] } : {}),
    responses: {
      ...op.responses,
      ...Object.fromEntries(Object.entries(common).filter(([status]) => !(status in op.responses))),
    },
  };
}

function assemble(): Record<string, unknown> {
  const paths: Paths = {};
  const schemas: Record<string, Schema> = { ...sharedComponents.schemas };
  for (const section of API_SECTIONS) {
    for (const [path, item] of Object.entries(section.paths)) {
      const merged = (paths[path] ??= {});
      for (const method of HTTP_METHODS) {
        const op = item[method];
        if (!op) continue;
        if (merged[method]) throw new Error(`OpenAPI: ${method.toUpperCase()} ${path} is described twice`);
        merged[method] = withCommonResponses(path, method, op);
      }
    }
    for (const [name, schema] of Object.entries(section.schemas ?? {})) {
      if (schemas[name]) throw new Error(`OpenAPI: schema ${name} is defined twice`);
      schemas[name] = schema;
    }
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Chronicle API',
      version: APP_VERSION,
      description: DESCRIPTION,
      license: { name: 'MIT', identifier: 'MIT' },
    },
    jsonSchemaDialect: 'https://spec.openapis.org/oas/3.1/dialect/base',
    servers: [],
    security: [{ jwt: [] }, { apiKey: [] }],
    tags: API_SECTIONS.flatMap((s) => s.tags),
    paths,
    components: {
      ...sharedComponents,
      parameters: { ...sharedComponents.parameters, IdempotencyKey: IDEMPOTENCY_KEY },
      schemas,
    },
  };
}

let assembled: Record<string, unknown> | undefined;

/**
 * The OpenAPI 3.1 document for the whole REST API, served from `serverUrl` (the origin the request
 * came in on, so "Try it out" calls the same server). Assembled once; only `servers` varies.
 */
export function openApiDocument(serverUrl: string): Record<string, unknown> {
  assembled ??= assemble();
  return { ...assembled, servers: [{ url: serverUrl, description: 'This server' }] };
}
