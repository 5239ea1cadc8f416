import { errors, ok, queryParam, ref } from './components.js';
import type { ApiSection } from './types.js';

const TAG = 'Audit';
const ADMIN = 'Admins only.';
const BOUND = 'A global position (digits) or an ISO 8601 date-time, inclusive.';

/** The tamper-evident log: its signed head, the signing key, and exports an auditor can verify offline. */
export const auditSection: ApiSection = {
  tags: [{ name: TAG, description: "The event log's hash chain, its signed head, and exports." }],
  schemas: {
    AuditHead: {
      type: 'object',
      required: ['position', 'hash', 'signature', 'signed_at'],
      description:
        'Ed25519 `signature` (base64) over the UTF-8 text `chronicle-audit-head\\n<position>\\n<hash>\\n<signed_at>` ' +
        '(hash empty when null); check it with the key from `/api/system/audit/public-key/`.',
      properties: {
        position: { type: 'integer', description: 'Global position of the newest chained event (0 before the first).' },
        hash: {
          type: ['string', 'null'],
          description: "That event's chain hash (64 hex); null when it predates the chain.",
        },
        signature: { type: 'string' },
        signed_at: { type: 'string', format: 'date-time' },
      },
    },
    ExportedEvent: {
      type: 'object',
      required: ['position', 'id', 'stream', 'revision', 'type', 'event', 'data', 'metadata', 'time', 'hash'],
      description:
        'One NDJSON line. `hash` = hex sha256 over the previous hash (64 hex characters), then ' +
        '`JSON.stringify([id, stream, revision, type, time, D, M])`, a newline, data as stored (`JSON.stringify(data)`, D its UTF-8 bytes), ' +
        'a newline, metadata likewise (M bytes). The first hashed event follows 64 zeros.',
      properties: {
        position: { type: 'integer' },
        id: { type: 'string' },
        stream: { type: 'string' },
        revision: { type: 'integer' },
        type: { type: 'string' },
        event: { type: 'string', description: 'AnythingLLM name, as in the event log.' },
        data: {},
        metadata: { type: 'object', additionalProperties: true },
        time: { type: 'string', format: 'date-time' },
        hash: { type: ['string', 'null'] },
      },
    },
  },
  paths: {
    '/api/system/audit/head/': {
      get: {
        operationId: 'auditHead',
        tags: [TAG],
        summary: 'The head of the hash chain, signed',
        description: `${ADMIN} Keep it as a receipt.`,
        responses: { 200: ok('The signed head.', ref('AuditHead')), ...errors(403) },
      },
    },
    '/api/system/audit/public-key/': {
      get: {
        operationId: 'auditPublicKey',
        tags: [TAG],
        summary: 'The Ed25519 public key that signs audit heads',
        description: ADMIN,
        responses: {
          200: {
            description: 'The key, SPKI PEM.',
            content: { 'application/x-pem-file': { schema: { type: 'string' } } },
          },
          ...errors(403),
        },
      },
    },
    '/api/system/events/export/': {
      get: {
        operationId: 'exportEvents',
        tags: [TAG],
        summary: 'The event log as a file, streamed',
        description: `${ADMIN} Events as stored, in position order, with their chain hashes. A full NDJSON export verifies offline with \`chronicle verify --file\`. On EventStoreDB, events are chained a moment after they are written: an export ends at the chain's head.`,
        parameters: [
          queryParam(
            'format',
            { type: 'string', enum: ['ndjson', 'csv'], default: 'ndjson' },
            'NDJSON (one ExportedEvent per line) or CSV (data and metadata as JSON cells).',
          ),
          queryParam('from', { type: 'string' }, BOUND),
          queryParam('to', { type: 'string' }, BOUND),
          queryParam('type', { type: 'string' }, 'Only these event types (repeat it, or a comma list).'),
          queryParam('stream_prefix', { type: 'string' }, 'Only streams whose name starts with this.'),
        ],
        responses: {
          200: {
            description: 'One line per event.',
            content: {
              'application/x-ndjson': { schema: ref('ExportedEvent') },
              'text/csv': { schema: { type: 'string' } },
            },
          },
          ...errors(400, 403),
        },
      },
    },
  },
};
