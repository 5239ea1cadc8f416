import { createEmbedInput, updateEmbedInput } from '../../commands/embeds/inputs.js';
import {
  errors,
  fromZod,
  jsonBody,
  listOf,
  noContent,
  ok,
  PAGINATION,
  pathParam,
  queryParam,
  ref,
  sseResponse,
  TIMESTAMP,
} from './components.js';
import type { ApiSection, Operation } from './types.js';

const TAG = 'Embeddings';
const WIDGET_TAG = 'Embed widget (public)';
const PUBLIC: never[] = [];
const uuid = pathParam('uuid', { type: 'string', format: 'uuid' }, "The embed config's uuid.");
/** A random (version 4) UUID the widget draws: knowing it is what lets a visitor read the history, so a chosen name is a 400. */
const SESSION_ID_PATTERN = '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-4[0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}$';
const sessionId = pathParam(
  'sessionId',
  { type: 'string', pattern: SESSION_ID_PATTERN },
  "The widget's session id: a random (version 4) UUID.",
);
const PRIVILEGED = 'Admins and managers only.';
const ORIGIN_RULES =
  'Refused in this order: unknown or disabled config 404; an `Origin` outside a non-empty allowlist 403; ' +
  'over `max_chats_per_day` for the config (rolling 24 h) 429; over `message_limit` messages in one session, 429. ' +
  'CORS: an allowed `Origin` is echoed back in `Access-Control-Allow-Origin`.';

const updateConfig = (operationId: string, summary: string): Operation => ({
  operationId,
  tags: [TAG],
  summary,
  description: PRIVILEGED,
  parameters: [uuid],
  requestBody: jsonBody(fromZod(updateEmbedInput), { enabled: false, max_chats_per_day: 50 }),
  responses: { 200: ok('The config.', ref('EmbedConfig')), ...errors(400, 403, 404, 409) },
});

const preflight = (operationId: string): Operation => ({
  operationId,
  tags: [WIDGET_TAG],
  security: PUBLIC,
  summary: 'CORS preflight for the widget',
  description:
    'Answers 204 with CORS headers for an allowed `Origin`; the same 404 and 403 as the request it announces.',
  parameters: operationId === 'embedStreamChatPreflight' ? [uuid] : [uuid, sessionId],
  responses: { 204: { description: 'Allowed.' }, ...errors(403, 404) },
});

/** The spec's Embeddings App (admin side) and DESIGN.md's public widget endpoints. */
export const embeddingsSection: ApiSection = {
  tags: [
    { name: TAG, description: 'Embeddable chat widget configurations and their sessions (admins and managers).' },
    {
      name: WIDGET_TAG,
      description: "What the widget on a customer's page calls: unauthenticated, checked against the config.",
    },
  ],
  schemas: {
    EmbedConfig: {
      type: 'object',
      required: [
        'uuid',
        'workspace',
        'enabled',
        'chat_mode',
        'allowlist_domains',
        'max_chats_per_day',
        'message_limit',
        'created_at',
      ],
      properties: {
        uuid: { type: 'string', format: 'uuid' },
        workspace: { type: 'integer', description: 'Workspace id.' },
        enabled: { type: 'boolean' },
        chat_mode: { type: 'string', enum: ['chat', 'query'] },
        allowlist_domains: { type: 'string', description: 'Comma-separated hosts; empty allows any site.' },
        max_chats_per_day: { type: ['integer', 'null'] },
        message_limit: { type: ['integer', 'null'], description: 'Messages per session.' },
        created_at: TIMESTAMP,
      },
    },
    EmbedCode: {
      type: 'object',
      required: ['embed_code', 'uuid', 'workspace'],
      properties: {
        embed_code: {
          type: 'string',
          description:
            'A `<script>` tag loading `<base>/embed/chronicle-chat-widget.js` with `data-embed-id` and `data-base-api-url`.',
        },
        uuid: { type: 'string', format: 'uuid' },
        workspace: { type: ['string', 'null'], description: 'Workspace name.' },
      },
    },
    EmbedSession: {
      type: 'object',
      required: ['session_id', 'embed_config', 'chat_count', 'last_activity'],
      properties: {
        session_id: { type: 'string' },
        embed_config: { type: 'string', format: 'uuid' },
        chat_count: { type: 'integer' },
        last_activity: TIMESTAMP,
      },
    },
    EmbedChat: {
      type: 'object',
      required: ['id', 'session_id', 'prompt', 'response', 'created_at'],
      properties: {
        id: { type: 'integer' },
        session_id: { type: 'string' },
        prompt: { type: 'string' },
        response: { type: 'string' },
        created_at: TIMESTAMP,
      },
    },
  },
  paths: {
    '/api/embeddings/configs/': {
      get: {
        operationId: 'listEmbedConfigs',
        tags: [TAG],
        summary: 'List embed configs',
        description: PRIVILEGED,
        parameters: [...PAGINATION],
        responses: { 200: listOf('EmbedConfig', 'Embed configs.'), ...errors(400, 403) },
      },
      post: {
        operationId: 'createEmbedConfig',
        tags: [TAG],
        summary: 'Create an embed config',
        description: PRIVILEGED,
        requestBody: jsonBody(fromZod(createEmbedInput), {
          workspace: 1,
          enabled: true,
          chat_mode: 'query',
          allowlist_domains: 'example.com,app.example.com',
          max_chats_per_day: 100,
          message_limit: 20,
        }),
        responses: { 201: ok('The config.', ref('EmbedConfig')), ...errors(400, 403, 404, 409) },
      },
    },
    '/api/embeddings/configs/{uuid}/': {
      get: {
        operationId: 'getEmbedConfig',
        tags: [TAG],
        summary: 'An embed config',
        description: PRIVILEGED,
        parameters: [uuid],
        responses: { 200: ok('The config.', ref('EmbedConfig')), ...errors(403, 404) },
      },
      patch: updateConfig('updateEmbedConfig', 'Change an embed config'),
      put: updateConfig('replaceEmbedConfig', 'Change an embed config (same as PATCH)'),
      delete: {
        operationId: 'deleteEmbedConfig',
        tags: [TAG],
        summary: 'Delete an embed config',
        description: PRIVILEGED,
        parameters: [uuid],
        responses: { 204: noContent, ...errors(403, 404, 409) },
      },
    },
    '/api/embeddings/configs/{uuid}/toggle/': {
      post: {
        operationId: 'toggleEmbedConfig',
        tags: [TAG],
        summary: 'Enable or disable an embed config',
        description: PRIVILEGED,
        parameters: [uuid],
        responses: { 200: ok('The config.', ref('EmbedConfig')), ...errors(403, 404, 409) },
      },
    },
    '/api/embeddings/configs/{uuid}/embed_code/': {
      get: {
        operationId: 'embedCode',
        tags: [TAG],
        summary: 'The snippet to paste into a web page',
        description: PRIVILEGED,
        parameters: [uuid],
        responses: { 200: ok('The snippet.', ref('EmbedCode')), ...errors(403, 404) },
      },
    },
    '/api/embeddings/chats/sessions/': {
      get: {
        operationId: 'embedSessions',
        tags: [TAG],
        summary: "An embed config's widget sessions",
        description: PRIVILEGED,
        parameters: [
          queryParam('embed_config', { type: 'string', format: 'uuid' }, 'The embed config uuid.', true),
          ...PAGINATION,
        ],
        responses: { 200: listOf('EmbedSession', 'Sessions, most recently active first.'), ...errors(400, 403, 404) },
      },
    },
    '/api/embed/{uuid}/stream-chat/': {
      post: {
        operationId: 'embedStreamChat',
        tags: [WIDGET_TAG],
        security: PUBLIC,
        summary: "The widget asks the config's workspace",
        description: `Unauthenticated. Runs in the config's chat_mode and sees only this session's history. ${ORIGIN_RULES}`,
        parameters: [uuid],
        requestBody: jsonBody(
          {
            type: 'object',
            required: ['session_id', 'message'],
            properties: {
              session_id: {
                type: 'string',
                pattern: SESSION_ID_PATTERN,
                description: 'A random (version 4) UUID the widget draws and keeps.',
              },
              message: { type: 'string', minLength: 1, maxLength: 10000 },
            },
          },
          { session_id: '3f6c1a9e-6d1b-4c55-9d7a-0b1e2c3d4e5f', message: 'What is your return policy?' },
        ),
        responses: { 200: sseResponse, ...errors(400, 403, 404, 429) },
      },
      options: preflight('embedStreamChatPreflight'),
    },
    '/api/embed/{uuid}/{sessionId}/': {
      get: {
        operationId: 'embedSessionHistory',
        tags: [WIDGET_TAG],
        security: PUBLIC,
        summary: "A widget session's history",
        description: `Unauthenticated; only this session's exchanges, oldest first. ${ORIGIN_RULES.split(';').slice(0, 2).join(';')}.`,
        parameters: [uuid, sessionId, ...PAGINATION],
        responses: { 200: listOf('EmbedChat', 'Exchanges.'), ...errors(400, 403, 404) },
      },
      options: preflight('embedSessionPreflight'),
    },
  },
};
