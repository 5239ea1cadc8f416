import { errors, ok } from './components.js';
import type { ApiSection } from './types.js';

const TAG = 'Operations';
const PUBLIC: never[] = [];

/** DESIGN.md's operational endpoints (outside /api) and this document itself. */
export const operationsSection: ApiSection = {
  tags: [{ name: TAG, description: 'Liveness, readiness, metrics, and this API description.' }],
  schemas: {
    Starting: {
      type: 'object',
      required: ['status', 'phase'],
      description: 'The server listens but has not yet loaded its application: what it is doing meanwhile.',
      properties: {
        status: { const: 'starting' },
        phase: { type: 'string', enum: ['loading', 'opening stores', 'loading read models', 'building the API'] },
        documentsLoaded: { type: 'integer', description: 'Read-model documents loaded into memory so far.' },
        documentsTotal: { type: 'integer', description: 'Read-model documents to load.' },
      },
    },
    Readiness: {
      type: 'object',
      required: [
        'status',
        'eventStore',
        'readStore',
        'headPosition',
        'projectedPosition',
        'projectionLagMs',
        'catchingUp',
        'projectionFailure',
      ],
      properties: {
        status: { type: 'string', enum: ['ready', 'not ready'] },
        eventStore: { type: 'string', enum: ['healthy', 'unavailable'] },
        readStore: { type: 'string', enum: ['healthy', 'unavailable'] },
        headPosition: { type: ['integer', 'null'] },
        projectedPosition: { type: 'integer' },
        projectionLagMs: {
          type: ['integer', 'null'],
          description: 'Age in milliseconds of the oldest event the read models have not applied (0 when caught up).',
        },
        catchingUp: {
          type: 'boolean',
          description:
            'Events that were in the log when the process started are not yet applied (a catch-up after a start).',
        },
        projectionFailure: {
          type: ['object', 'null'],
          required: ['projection', 'position', 'eventType'],
          description:
            'The projection and event the read side is stuck on (retried; the error is in the log and `chronicle projections status`).',
          properties: { projection: { type: 'string' }, position: { type: 'integer' }, eventType: { type: 'string' } },
        },
      },
    },
  },
  paths: {
    '/healthz': {
      get: {
        operationId: 'healthz',
        tags: [TAG],
        security: PUBLIC,
        summary: 'The process answers',
        responses: {
          200: ok('Alive.', { type: 'object', required: ['status'], properties: { status: { const: 'ok' } } }),
        },
      },
    },
    '/readyz': {
      get: {
        operationId: 'readyz',
        tags: [TAG],
        security: PUBLIC,
        summary: 'Stores reachable and read models caught up',
        responses: {
          200: ok('Ready.', { $ref: '#/components/schemas/Readiness' }),
          503: ok(
            'Not ready (a store is unreachable, projections lag, or a projection fails on an event), or still starting.',
            { oneOf: [{ $ref: '#/components/schemas/Readiness' }, { $ref: '#/components/schemas/Starting' }] },
          ),
        },
      },
    },
    '/metrics': {
      get: {
        operationId: 'metrics',
        tags: [TAG],
        security: PUBLIC,
        summary: 'Prometheus metrics',
        responses: {
          200: {
            description: 'Prometheus text exposition format.',
            content: { 'text/plain': { schema: { type: 'string' } } },
          },
        },
      },
    },
    '/api/schema/': {
      get: {
        operationId: 'openApiSchema',
        tags: [TAG],
        security: PUBLIC,
        summary: 'This OpenAPI 3.1 document',
        description:
          'JSON by default; `?format=yaml` for YAML. The server URL is the one the request came in on. Swagger UI at `/api/docs/`.',
        parameters: [
          {
            name: 'format',
            in: 'query',
            description: 'Serialisation.',
            schema: { type: 'string', enum: ['json', 'yaml'], default: 'json' },
          },
        ],
        responses: {
          200: {
            description: 'The document.',
            content: {
              'application/json': { schema: { type: 'object' } },
              'application/yaml': { schema: { type: 'string' } },
            },
          },
          ...errors(400), // a format other than json or yaml
        },
      },
    },
  },
};
