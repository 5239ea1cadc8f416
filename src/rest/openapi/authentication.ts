import {
  changePasswordInput,
  loginInput,
  refreshInput,
  registerInput,
  requestResetInput,
  resetPasswordInput,
  updateUserInput,
} from '../../commands/identity/inputs.js';
import {
  AS_OF,
  errors,
  filters,
  fromZod,
  idPath,
  jsonBody,
  listOf,
  NULLABLE_TIMESTAMP,
  noContent,
  ok,
  PAGINATION,
  ref,
  TEXT_SEARCH,
  TIMESTAMP,
} from './components.js';
import type { ApiSection } from './types.js';

const TAG = 'Authentication';
const PUBLIC: never[] = [];

/** The spec's Authentication App (login, refresh, registration, passwords) and DESIGN.md's user administration. */
export const authenticationSection: ApiSection = {
  tags: [
    {
      name: TAG,
      description:
        'Log in, tokens, registration, passwords, and user administration (admins; managers for `default` users).',
    },
  ],
  schemas: {
    User: {
      type: 'object',
      required: ['id', 'username', 'email', 'role', 'suspended', 'daily_message_limit', 'created_at', 'last_login_at'],
      properties: {
        id: { type: 'integer' },
        username: { type: 'string' },
        email: { type: 'string', format: 'email' },
        role: {
          type: 'string',
          enum: ['admin', 'manager', 'default'],
          description: 'The first registered user is `admin`, later ones `default`.',
        },
        suspended: { type: 'boolean', description: 'A suspended user cannot log in or use earlier tokens.' },
        daily_message_limit: {
          type: ['integer', 'null'],
          description: 'Chats per rolling 24 hours; null for no limit.',
        },
        created_at: TIMESTAMP,
        last_login_at: NULLABLE_TIMESTAMP,
      },
    },
    TokenPair: {
      type: 'object',
      required: ['access', 'refresh'],
      properties: {
        access: { type: 'string', description: 'Access JWT for `Authorization: Bearer …`.' },
        refresh: {
          type: 'string',
          description: 'Refresh JWT; rotates on every refresh, and a reused one is rejected.',
        },
      },
    },
    LoginResponse: {
      allOf: [ref('TokenPair'), { type: 'object', required: ['user'], properties: { user: ref('User') } }],
    },
  },
  paths: {
    '/api/auth/login/': {
      post: {
        operationId: 'login',
        tags: [TAG],
        security: PUBLIC,
        summary: 'Obtain an access and a refresh token',
        description: 'Rate-limited per client (`RATE_LIMIT_AUTH_PER_MIN`).',
        requestBody: jsonBody(fromZod(loginInput), { username: 'your_username', password: 'your_password' }),
        responses: { 200: ok('The token pair and the user.', ref('LoginResponse')), ...errors(400, 401, 429) },
      },
    },
    '/api/auth/refresh/': {
      post: {
        operationId: 'refreshToken',
        tags: [TAG],
        security: PUBLIC,
        summary: 'Exchange a refresh token for a new pair',
        requestBody: jsonBody(fromZod(refreshInput)),
        responses: {
          200: ok('A new access and refresh token; the old refresh token is spent.', ref('TokenPair')),
          ...errors(400, 401, 429),
        },
      },
    },
    '/api/users/': {
      get: {
        operationId: 'listUsers',
        tags: [TAG],
        summary: 'List users (admin, manager)',
        parameters: [
          AS_OF,
          ...PAGINATION,
          ...TEXT_SEARCH('username and email'),
          ...filters({
            id: 'integer',
            username: 'string',
            email: 'string',
            role: 'string',
            suspended: 'boolean',
            created_at: 'date',
          }),
        ],
        responses: { 200: listOf('User', 'Users.'), ...errors(400, 403) },
      },
      post: {
        operationId: 'registerUser',
        tags: [TAG],
        security: PUBLIC,
        summary: 'Register a user',
        description:
          'Open while the `allow_registration` setting is true; otherwise 403 except for an admin creating a user.',
        requestBody: jsonBody(fromZod(registerInput), {
          username: 'newuser',
          email: 'newuser@example.com',
          password: 'SecurePassword123!',
          password_confirm: 'SecurePassword123!',
        }),
        responses: { 201: ok('The new user.', ref('User')), ...errors(400, 403, 409) },
      },
    },
    '/api/users/me/': {
      get: {
        operationId: 'currentUser',
        tags: [TAG],
        summary: 'The authenticated user',
        responses: { 200: ok('You.', ref('User')) },
      },
    },
    '/api/users/change_password/': {
      post: {
        operationId: 'changePassword',
        tags: [TAG],
        summary: 'Change your password (earlier tokens stop working)',
        requestBody: jsonBody(fromZod(changePasswordInput)),
        responses: { 200: ok('Changed.', ref('Message')), ...errors(400) },
      },
    },
    '/api/users/request_password_reset/': {
      post: {
        operationId: 'requestPasswordReset',
        tags: [TAG],
        security: PUBLIC,
        summary: 'Mail a password reset token',
        description:
          'Answers 200 whether or not the user exists. The token goes by mail (SMTP, or a file in `MAIL_OUTBOX_DIR`).',
        requestBody: jsonBody(fromZod(requestResetInput), { username: 'forgetful_user' }),
        responses: { 200: ok('Sent, if the user exists.', ref('Message')), ...errors(400, 429) },
      },
    },
    '/api/users/reset_password/': {
      post: {
        operationId: 'resetPassword',
        tags: [TAG],
        security: PUBLIC,
        summary: 'Set a new password with a reset token',
        description: 'Tokens are single-use and expire; earlier access and refresh tokens stop working.',
        requestBody: jsonBody(fromZod(resetPasswordInput)),
        responses: { 200: ok('Reset.', ref('Message')), ...errors(400, 429) },
      },
    },
    '/api/users/{id}/': {
      get: {
        operationId: 'getUser',
        tags: [TAG],
        summary: 'A user (yourself, or anyone for admins and managers)',
        parameters: [idPath('user'), AS_OF],
        responses: { 200: ok('The user.', ref('User')), ...errors(400, 403, 404) },
      },
      patch: {
        operationId: 'updateUser',
        tags: [TAG],
        summary: 'Change role, suspension or daily message limit',
        description: 'Admins for anyone; managers only for `default` users.',
        parameters: [idPath('user')],
        requestBody: jsonBody(fromZod(updateUserInput), {
          role: 'manager',
          suspended: false,
          daily_message_limit: 100,
        }),
        responses: { 200: ok('The updated user.', ref('User')), ...errors(400, 403, 404, 409) },
      },
      delete: {
        operationId: 'deleteUser',
        tags: [TAG],
        summary: 'Delete a user',
        description: 'Admins for anyone; managers only for `default` users.',
        parameters: [idPath('user')],
        responses: { 204: noContent, ...errors(403, 404, 409) },
      },
    },
    '/api/users/{id}/erase/': {
      post: {
        operationId: 'eraseUser',
        tags: [TAG],
        summary: 'Erase a user (crypto-shredding)',
        description:
          "Admins only. Records `UserErased` (event log `user_erased`) and destroys the user's encryption key: " +
          'their username, email, chat prompts and responses and request addresses in every event read `"[erased]"` ' +
          'from then on, in answers, replays, exports and event logs; the log still verifies. The username and email ' +
          'become free again. A deleted user can be erased too. The last admin cannot be erased (409).',
        parameters: [idPath('user')],
        responses: { 204: noContent, ...errors(401, 403, 404, 409) },
      },
    },
  },
};
