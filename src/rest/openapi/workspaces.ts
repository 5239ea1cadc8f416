import {
  createWorkspaceInput,
  memberInput,
  renameThreadInput,
  threadInput,
  updateWorkspaceInput,
} from '../../commands/workspaces/inputs.js';
import {
  AS_OF,
  errors,
  filters,
  fromZod,
  idPath,
  jsonBody,
  listOf,
  noContent,
  ok,
  PAGINATION,
  pathParam,
  ref,
  TEXT_SEARCH,
  TIMESTAMP,
} from './components.js';
import type { ApiSection } from './types.js';

const TAG = 'Workspaces';
const slug = pathParam('slug', { type: 'string' }, "The workspace's slug.");
const PRIVILEGED = 'Admins and managers only.';

/** The spec's Workspaces App: workspaces, their members, and (DESIGN.md) their threads. */
export const workspacesSection: ApiSection = {
  tags: [
    {
      name: TAG,
      description:
        'Workspaces, their members and threads. Admins and managers see all; `default` users the ones they were added to.',
    },
  ],
  schemas: {
    Workspace: {
      type: 'object',
      required: ['id', 'name', 'slug', 'chat_mode', 'user_count', 'document_count', 'created_at'],
      properties: {
        id: { type: 'integer' },
        name: { type: 'string' },
        slug: { type: 'string' },
        chat_mode: { type: 'string', enum: ['chat', 'query'] },
        chat_provider: { type: ['string', 'null'], description: 'Overrides the server-wide LLM provider.' },
        chat_model: { type: ['string', 'null'] },
        openai_prompt: { type: ['string', 'null'], description: 'System prompt.' },
        openai_temp: { type: 'number' },
        top_n: { type: 'integer', description: 'Retrieved chunks per answer.' },
        similarity_threshold: { type: 'number' },
        chat_history: { type: 'integer', description: 'Earlier exchanges sent with each message.' },
        query_refusal_response: {
          type: 'string',
          description: 'The answer in `query` mode when no document is relevant.',
        },
        user_count: { type: 'integer' },
        document_count: { type: 'integer' },
        created_at: TIMESTAMP,
        updated_at: TIMESTAMP,
      },
    },
    Thread: {
      type: 'object',
      required: ['id', 'name', 'slug', 'workspace', 'user', 'created_at'],
      properties: {
        id: { type: 'integer' },
        name: { type: 'string' },
        slug: { type: 'string' },
        workspace: { type: 'integer', description: 'Workspace id.' },
        user: { type: 'integer', description: 'Id of the user who opened it.' },
        created_at: TIMESTAMP,
      },
    },
  },
  paths: {
    '/api/workspaces/': {
      get: {
        operationId: 'listWorkspaces',
        tags: [TAG],
        summary: 'List the workspaces you can see',
        parameters: [
          AS_OF,
          ...PAGINATION,
          ...TEXT_SEARCH('name and slug'),
          ...filters({
            id: 'integer',
            name: 'string',
            slug: 'string',
            chat_mode: 'string',
            chat_provider: 'string',
            chat_model: 'string',
            user_count: 'integer',
            document_count: 'integer',
            created_at: 'date',
          }),
        ],
        responses: { 200: listOf('Workspace', 'Workspaces.'), ...errors(400, 403) },
      },
      post: {
        operationId: 'createWorkspace',
        tags: [TAG],
        summary: 'Create a workspace',
        description: PRIVILEGED,
        requestBody: jsonBody(fromZod(createWorkspaceInput), {
          name: 'New Workspace',
          chat_mode: 'chat',
          openai_prompt: 'You are a helpful assistant.',
        }),
        responses: { 201: ok('The workspace as the next GET shows it.', ref('Workspace')), ...errors(400, 403, 409) },
      },
    },
    '/api/workspaces/{slug}/': {
      get: {
        operationId: 'getWorkspace',
        tags: [TAG],
        summary: 'A workspace',
        parameters: [slug, AS_OF],
        responses: { 200: ok('The workspace.', ref('Workspace')), ...errors(400, 403, 404) },
      },
      patch: {
        operationId: 'updateWorkspace',
        tags: [TAG],
        summary: 'Change a workspace',
        description: PRIVILEGED,
        parameters: [slug],
        requestBody: jsonBody(fromZod(updateWorkspaceInput), { chat_model: 'gpt-4-turbo', openai_temp: 0.7, top_n: 5 }),
        responses: { 200: ok('The updated workspace.', ref('Workspace')), ...errors(400, 403, 404, 409) },
      },
      delete: {
        operationId: 'deleteWorkspace',
        tags: [TAG],
        summary: 'Delete a workspace',
        description: PRIVILEGED,
        parameters: [slug],
        responses: { 204: noContent, ...errors(403, 404, 409) },
      },
    },
    '/api/workspaces/{slug}/add_user/': {
      post: {
        operationId: 'addWorkspaceUser',
        tags: [TAG],
        summary: 'Add a user to a workspace',
        description: PRIVILEGED,
        parameters: [slug],
        requestBody: jsonBody(fromZod(memberInput), { user_id: 2 }),
        responses: { 200: ok('The workspace.', ref('Workspace')), ...errors(400, 403, 404, 409) },
      },
    },
    '/api/workspaces/{slug}/remove_user/': {
      post: {
        operationId: 'removeWorkspaceUser',
        tags: [TAG],
        summary: 'Remove a user from a workspace',
        description: PRIVILEGED,
        parameters: [slug],
        requestBody: jsonBody(fromZod(memberInput), { user_id: 2 }),
        responses: { 200: ok('The workspace.', ref('Workspace')), ...errors(400, 403, 404, 409) },
      },
    },
    '/api/workspaces/{slug}/threads/': {
      get: {
        operationId: 'listThreads',
        tags: [TAG],
        summary: "A workspace's threads",
        parameters: [slug, AS_OF, ...PAGINATION],
        responses: { 200: listOf('Thread', 'Threads.'), ...errors(400, 403, 404) },
      },
      post: {
        operationId: 'createThread',
        tags: [TAG],
        summary: 'Open a thread in a workspace',
        parameters: [slug],
        requestBody: jsonBody(fromZod(threadInput), { name: 'Quarterly report questions' }, false),
        responses: { 201: ok('The thread.', ref('Thread')), ...errors(400, 403, 404, 409) },
      },
    },
    '/api/workspaces/{slug}/threads/{id}/': {
      patch: {
        operationId: 'renameThread',
        tags: [TAG],
        summary: 'Rename a thread',
        parameters: [slug, idPath('thread')],
        requestBody: jsonBody(fromZod(renameThreadInput), { name: 'Renamed thread' }),
        responses: { 200: ok('The thread.', ref('Thread')), ...errors(400, 403, 404, 409) },
      },
      delete: {
        operationId: 'deleteThread',
        tags: [TAG],
        summary: 'Delete a thread',
        parameters: [slug, idPath('thread')],
        responses: { 204: noContent, ...errors(403, 404, 409) },
      },
    },
  },
};
