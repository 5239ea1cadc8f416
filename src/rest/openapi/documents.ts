import {
  AS_OF,
  errors,
  filters,
  idPath,
  jsonBody,
  listOf,
  noContent,
  ok,
  PAGINATION,
  ref,
  TIMESTAMP,
} from './components.js';
import type { ApiSection, Schema } from './types.js';

const TAG = 'Documents';
const flagBody = (name: string): Schema => ({
  type: 'object',
  required: [name],
  additionalProperties: false,
  properties: { [name]: { type: 'boolean' } },
});

/** The spec's Documents App, with DESIGN.md's document shape, GET/DELETE by id and the upload rules. */
export const documentsSection: ApiSection = {
  tags: [
    {
      name: TAG,
      description:
        'Upload documents into a workspace; they are chunked and indexed in the background (`processing` → `ready` or `failed`).',
    },
  ],
  schemas: {
    Document: {
      type: 'object',
      required: [
        'id',
        'filename',
        'workspace',
        'status',
        'pinned',
        'watched',
        'metadata',
        'size',
        'mime_type',
        'chunk_count',
        'created_at',
      ],
      properties: {
        id: { type: 'integer' },
        filename: { type: 'string', description: 'Sanitised file name.' },
        workspace: { type: 'integer', description: 'Workspace id.' },
        status: { type: 'string', enum: ['processing', 'ready', 'failed'] },
        error: { type: 'string', description: 'Why ingestion failed; only when `status` is `failed`.' },
        pinned: { type: 'boolean', description: 'Pinned documents go into the chat context whole.' },
        watched: { type: 'boolean', description: 'Watched documents are re-ingested when their source changes.' },
        metadata: { type: 'object', additionalProperties: true },
        size: { type: 'integer', description: 'Bytes.' },
        mime_type: { type: 'string' },
        chunk_count: { type: 'integer' },
        created_at: TIMESTAMP,
      },
    },
    BulkActionResult: {
      type: 'object',
      required: ['action', 'succeeded', 'failed'],
      properties: {
        action: { type: 'string', enum: ['pin', 'unpin', 'watch', 'unwatch', 'delete'] },
        succeeded: { type: 'array', items: { type: 'integer' }, description: 'Ids the action applied to.' },
        failed: {
          type: 'object',
          additionalProperties: { type: 'string' },
          description: 'Reason by id, for the others.',
        },
      },
    },
  },
  paths: {
    '/api/documents/upload/': {
      post: {
        operationId: 'uploadDocument',
        tags: [TAG],
        summary: 'Upload a document into a workspace',
        description:
          'txt, md, csv, json, html, pdf or docx, up to `UPLOAD_MAX_MB` (default 25; larger is a 413); other types are a 400. ' +
          'Rate-limited per user (`RATE_LIMIT_UPLOAD_PER_MIN`). Answers at once with `status: processing`.',
        requestBody: {
          required: true,
          content: {
            'multipart/form-data': {
              schema: {
                type: 'object',
                required: ['file', 'workspace_id'],
                properties: {
                  file: { type: 'string', format: 'binary', contentMediaType: 'application/octet-stream' },
                  workspace_id: { type: 'integer', minimum: 1 },
                  metadata: {
                    type: 'string',
                    description: 'A JSON object, as text.',
                    example: '{"source": "manual_upload"}',
                  },
                },
              },
            },
          },
        },
        responses: { 201: ok('The document, processing.', ref('Document')), ...errors(400, 403, 404, 409, 413) },
      },
    },
    '/api/documents/': {
      get: {
        operationId: 'listDocuments',
        tags: [TAG],
        summary: 'List documents in the workspaces you can see',
        parameters: [
          AS_OF,
          ...PAGINATION,
          ...filters({
            id: 'integer',
            workspace: 'integer',
            pinned: 'boolean',
            watched: 'boolean',
            status: 'string',
            filename: 'string',
            mime_type: 'string',
            size: 'integer',
            chunk_count: 'integer',
            created_at: 'date',
          }),
        ],
        responses: { 200: listOf('Document', 'Documents.'), ...errors(400, 403) },
      },
    },
    '/api/documents/{id}/': {
      get: {
        operationId: 'getDocument',
        tags: [TAG],
        summary: 'A document',
        parameters: [idPath('document'), AS_OF],
        responses: { 200: ok('The document.', ref('Document')), ...errors(400, 403, 404) },
      },
      delete: {
        operationId: 'deleteDocument',
        tags: [TAG],
        summary: 'Delete a document (and its chunks)',
        parameters: [idPath('document')],
        responses: { 204: noContent, ...errors(403, 404, 409) },
      },
    },
    '/api/documents/{id}/pin/': {
      post: {
        operationId: 'pinDocument',
        tags: [TAG],
        summary: 'Pin or unpin a document',
        parameters: [idPath('document')],
        requestBody: jsonBody(flagBody('pin'), { pin: true }),
        responses: { 200: ok('The document.', ref('Document')), ...errors(400, 403, 404, 409) },
      },
    },
    '/api/documents/{id}/watch/': {
      post: {
        operationId: 'watchDocument',
        tags: [TAG],
        summary: 'Watch or unwatch a document',
        parameters: [idPath('document')],
        requestBody: jsonBody(flagBody('watch'), { watch: true }),
        responses: { 200: ok('The document.', ref('Document')), ...errors(400, 403, 404, 409) },
      },
    },
    '/api/documents/bulk_action/': {
      post: {
        operationId: 'bulkDocumentAction',
        tags: [TAG],
        summary: 'Pin, unpin, watch, unwatch or delete many documents',
        requestBody: jsonBody(
          {
            type: 'object',
            required: ['document_ids', 'action'],
            properties: {
              document_ids: { type: 'array', items: { type: 'integer', minimum: 1 }, minItems: 1, maxItems: 1000 },
              action: { type: 'string', enum: ['pin', 'unpin', 'watch', 'unwatch', 'delete'] },
            },
          },
          { document_ids: [1, 2, 3], action: 'pin' },
        ),
        responses: {
          200: ok('What succeeded and what failed, by id.', ref('BulkActionResult')),
          ...errors(400, 403, 409),
        },
      },
    },
  },
};
