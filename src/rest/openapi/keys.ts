import { claimInviteInput, createInviteInput, verifyKeyInput } from '../../commands/access/inputs.js';
import {
  errors,
  filters,
  fromZod,
  idPath,
  jsonBody,
  listOf,
  noContent,
  NULLABLE_TIMESTAMP,
  ok,
  PAGINATION,
  ref,
  TIMESTAMP,
} from './components.js';
import type { ApiSection, Paths } from './types.js';

const TAG = 'API Keys';
const PRIVILEGED = 'Admins and managers only.';

/** generate, list and revoke for one kind of key, as routes/keys.ts mounts them. */
function keyPaths(path: string, what: string, operation: string, who: string): Paths {
  return {
    [`/api/keys/${path}/generate/`]: {
      post: {
        operationId: `generate${operation}`,
        tags: [TAG],
        summary: `Generate ${what}`,
        description: `${who} The key is shown once, here.`,
        responses: { 201: ok('The new key.', ref('GeneratedKey')), ...errors(403, 409) },
      },
    },
    [`/api/keys/${path}/`]: {
      get: {
        operationId: `list${operation}s`,
        tags: [TAG],
        summary: `List ${what}s (masked)`,
        description: who,
        parameters: [...PAGINATION],
        responses: { 200: listOf('ApiKey', 'Keys, masked.'), ...errors(400, 403) },
      },
    },
    [`/api/keys/${path}/{id}/`]: {
      delete: {
        operationId: `revoke${operation}`,
        tags: [TAG],
        summary: `Revoke ${what}`,
        description: who,
        parameters: [idPath('key')],
        responses: { 204: noContent, ...errors(403, 404, 409) },
      },
    },
  };
}

/** The spec's API Keys App: API keys, browser-extension keys, invites. */
export const keysSection: ApiSection = {
  tags: [
    {
      name: TAG,
      description:
        'API keys (admins), browser-extension keys (each user their own) and invitations (admins and managers).',
    },
  ],
  schemas: {
    GeneratedKey: {
      type: 'object',
      required: ['key', 'id', 'message'],
      properties: {
        key: { type: 'string', description: '`sk_live_…`; not stored, not shown again.' },
        id: { type: 'integer' },
        message: { type: 'string', example: 'Save this key securely. It will not be shown again.' },
      },
    },
    ApiKey: {
      type: 'object',
      required: ['id', 'key', 'user', 'created_at'],
      properties: {
        id: { type: 'integer' },
        key: { type: 'string', description: 'Masked.' },
        user: { type: 'integer' },
        created_at: TIMESTAMP,
      },
    },
    KeyVerification: {
      type: 'object',
      required: ['valid', 'id'],
      properties: { valid: { type: 'boolean' }, id: { type: ['integer', 'null'] } },
    },
    Invite: {
      type: 'object',
      required: ['id', 'code', 'status', 'workspace_ids', 'created_by', 'claimed_by', 'created_at', 'claimed_at'],
      properties: {
        id: { type: 'integer' },
        code: { type: 'string' },
        status: { type: 'string', enum: ['pending', 'claimed', 'disabled'] },
        workspace_ids: { type: 'array', items: { type: 'integer' }, description: 'Workspaces the new user joins.' },
        created_by: { type: 'integer' },
        claimed_by: { type: ['integer', 'null'] },
        created_at: TIMESTAMP,
        claimed_at: NULLABLE_TIMESTAMP,
      },
    },
  },
  paths: {
    '/api/keys/api-keys/verify/': {
      post: {
        operationId: 'verifyApiKey',
        tags: [TAG],
        security: [],
        summary: 'Whether an API key is valid',
        requestBody: jsonBody(fromZod(verifyKeyInput), { key: 'sk_live_abcdef123456789' }),
        responses: { 200: ok('Validity, and the key id when valid.', ref('KeyVerification')), ...errors(400) },
      },
    },
    ...keyPaths('api-keys', 'an API key', 'ApiKey', 'Admins only.'),
    ...keyPaths(
      'browser-extension-keys',
      'a browser-extension key',
      'BrowserExtensionKey',
      'Your own keys (admins see all).',
    ),
    '/api/keys/invites/generate/': {
      post: {
        operationId: 'createInvite',
        tags: [TAG],
        summary: 'Create a single-use invitation',
        description: PRIVILEGED,
        requestBody: jsonBody(fromZod(createInviteInput), { workspace_ids: [1, 2] }, false),
        responses: { 201: ok('The invitation.', ref('Invite')), ...errors(400, 403, 404, 409) },
      },
    },
    '/api/keys/invites/': {
      get: {
        operationId: 'listInvites',
        tags: [TAG],
        summary: 'List invitations',
        description: PRIVILEGED,
        parameters: [
          ...PAGINATION,
          ...filters({
            id: 'integer',
            status: 'string',
            created_by: 'integer',
            claimed_by: 'integer',
            created_at: 'date',
          }),
        ],
        responses: { 200: listOf('Invite', 'Invitations.'), ...errors(400, 403) },
      },
    },
    '/api/keys/invites/{id}/disable/': {
      post: {
        operationId: 'disableInvite',
        tags: [TAG],
        summary: 'Disable an unclaimed invitation',
        description: PRIVILEGED,
        parameters: [idPath('invite')],
        responses: { 200: ok('The invitation.', ref('Invite')), ...errors(400, 403, 404, 409) },
      },
    },
    '/api/keys/invites/claim/': {
      post: {
        operationId: 'claimInvite',
        tags: [TAG],
        security: [],
        summary: 'Claim an invitation: create the account',
        requestBody: jsonBody(fromZod(claimInviteInput), {
          code: 'INVITE123ABC',
          username: 'newuser',
          password: 'SecurePassword123!',
          email: 'newuser@example.com',
        }),
        responses: { 201: ok('The new user.', ref('User')), ...errors(400, 404, 409) },
      },
    },
  },
};
