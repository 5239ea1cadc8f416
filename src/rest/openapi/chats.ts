import {
  AS_OF,
  errors,
  filters,
  idPath,
  jsonBody,
  listOf,
  ok,
  PAGINATION,
  queryParam,
  ref,
  sseResponse,
  TEXT_SEARCH,
  TIMESTAMP,
} from './components.js';
import type { ApiSection, Response } from './types.js';

const TAG = 'Chats';
const workspaceId = (required: boolean) =>
  queryParam('workspace_id', { type: 'integer', minimum: 1 }, 'Workspace id.', required);

const exportDownload: Response = {
  description: 'A download (`Content-Disposition: attachment; filename="…"`) in the format asked for.',
  headers: {
    'Content-Disposition': {
      description: 'attachment; filename="chats_<workspace>_<from>_<to>.<ext>"',
      schema: { type: 'string' },
    },
  },
  content: {
    'application/json': { schema: { type: 'array', items: ref('Chat') } },
    'text/csv': { schema: { type: 'string' } },
    'text/plain': { schema: { type: 'string' } },
    'application/pdf': { schema: { type: 'string', format: 'binary', contentMediaType: 'application/pdf' } },
  },
};

/** The spec's Chats App, with DESIGN.md's chat shape and stream_chat's inputs. */
export const chatsSection: ApiSection = {
  tags: [
    {
      name: TAG,
      description:
        'Chat with a workspace (streamed over SSE), history, search, feedback and export. Counts against the daily message limit.',
    },
  ],
  schemas: {
    Chat: {
      type: 'object',
      required: [
        'id',
        'prompt',
        'response',
        'workspace',
        'thread',
        'user',
        'mode',
        'feedback',
        'comment',
        'sources',
        'created_at',
      ],
      properties: {
        id: { type: 'integer' },
        prompt: { type: 'string' },
        response: { type: 'string' },
        workspace: { type: 'integer', description: 'Workspace id.' },
        thread: { type: ['integer', 'null'], description: "Thread id; null for the workspace's default conversation." },
        user: { type: ['integer', 'null'], description: 'Id of the user who asked.' },
        mode: { type: 'string', enum: ['chat', 'query'] },
        feedback: { type: ['boolean', 'null'] },
        comment: { type: ['string', 'null'] },
        sources: {
          type: 'array',
          items: {
            type: 'object',
            required: ['document_id', 'filename'],
            properties: {
              document_id: { type: 'integer' },
              filename: { type: 'string' },
              chunk: { type: ['integer', 'null'] },
              score: { type: 'number' },
            },
          },
        },
        created_at: TIMESTAMP,
      },
    },
    StreamChatInput: {
      type: 'object',
      required: ['message', 'workspace_slug'],
      properties: {
        message: { type: 'string', minLength: 1, maxLength: 100000 },
        workspace_slug: { type: 'string' },
        mode: { type: 'string', enum: ['chat', 'query'], description: "Defaults to the workspace's chat_mode." },
        thread_id: { type: ['integer', 'null'], description: "Omit for the workspace's default conversation." },
        attachments: {
          type: 'array',
          maxItems: 10,
          items: {
            type: 'object',
            required: ['name', 'contentString'],
            properties: {
              name: { type: 'string' },
              mime: { type: 'string', description: 'A text type.' },
              contentString: { type: 'string' },
            },
          },
        },
      },
    },
  },
  paths: {
    '/api/chats/stream_chat/': {
      post: {
        operationId: 'streamChat',
        tags: [TAG],
        summary: 'Ask a workspace; the answer streams as Server-Sent Events',
        description:
          "`chat` mode uses history, retrieved context and the model's knowledge; `query` mode answers only from the " +
          "workspace's documents and gives its refusal text when none is relevant.",
        requestBody: jsonBody(ref('StreamChatInput'), {
          message: 'What is the meaning of life?',
          workspace_slug: 'my-workspace',
          mode: 'chat',
          attachments: [],
        }),
        responses: { 200: sseResponse, ...errors(400, 403, 404, 409) },
      },
    },
    '/api/chats/': {
      get: {
        operationId: 'listChats',
        tags: [TAG],
        summary: 'List chats in the workspaces you can see',
        parameters: [
          ...PAGINATION,
          ...TEXT_SEARCH('prompt and response'),
          ...filters({
            id: 'integer',
            workspace_id: 'integer',
            thread_id: 'integer',
            user_id: 'integer',
            mode: 'string',
            feedback: 'boolean',
            created_at: 'date',
          }),
        ],
        responses: { 200: listOf('Chat', 'Chats, newest first.'), ...errors(400) },
      },
    },
    '/api/chats/{id}/': {
      get: {
        operationId: 'getChat',
        tags: [TAG],
        summary: 'A chat',
        parameters: [idPath('chat')],
        responses: { 200: ok('The chat.', ref('Chat')), ...errors(404) },
      },
    },
    '/api/chats/history/': {
      get: {
        operationId: 'chatHistory',
        tags: [TAG],
        summary: "A workspace's (or thread's) conversation",
        parameters: [
          workspaceId(true),
          queryParam('thread_id', { type: 'integer', minimum: 1 }, 'Thread id; omit for the default conversation.'),
          AS_OF,
          ...PAGINATION,
        ],
        responses: { 200: listOf('Chat', 'Chats.'), ...errors(400, 403, 404) },
      },
    },
    '/api/chats/search/': {
      get: {
        operationId: 'searchChats',
        tags: [TAG],
        summary: 'Search chats by words in prompt and/or response',
        parameters: [
          queryParam('query', { type: 'string' }, 'Words to find (or `q`, `search`).', true),
          workspaceId(false),
          queryParam(
            'search_in',
            { type: 'string', enum: ['prompt', 'response', 'prompt,response', 'both'], default: 'both' },
            'Where to look.',
          ),
          ...PAGINATION,
        ],
        responses: { 200: listOf('Chat', 'Matching chats, newest first.'), ...errors(400, 404) },
      },
    },
    '/api/chats/feedback/': {
      post: {
        operationId: 'chatFeedback',
        tags: [TAG],
        summary: 'Rate an answer',
        requestBody: jsonBody(
          {
            type: 'object',
            required: ['chat_id', 'feedback'],
            properties: {
              chat_id: { type: 'integer', minimum: 1 },
              feedback: { type: 'boolean' },
              comment: { type: ['string', 'null'], maxLength: 2000 },
            },
          },
          { chat_id: 123, feedback: true, comment: 'Very helpful response!' },
        ),
        responses: { 200: ok('The chat with its feedback.', ref('Chat')), ...errors(400, 403, 404, 409) },
      },
    },
    '/api/chats/export/': {
      post: {
        operationId: 'exportChats',
        tags: [TAG],
        summary: 'Download chats as json, csv, txt or pdf',
        requestBody: jsonBody(
          {
            type: 'object',
            required: ['format'],
            properties: {
              workspace_id: { type: 'integer', minimum: 1, description: 'Omit for every workspace you can see.' },
              format: { type: 'string', enum: ['json', 'csv', 'txt', 'pdf'] },
              date_from: { type: 'string', description: 'ISO 8601 date or date-time.' },
              date_to: { type: 'string', description: 'ISO 8601 date (the whole day) or date-time.' },
            },
          },
          { workspace_id: 1, format: 'json', date_from: '2024-01-01T00:00:00Z', date_to: '2024-12-31T23:59:59Z' },
        ),
        responses: { 200: exportDownload, ...errors(400, 404) },
      },
    },
  },
};
