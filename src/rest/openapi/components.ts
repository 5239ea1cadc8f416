import { z } from 'zod';
import type { Content, Parameter, Reference, RequestBody, Response, Schema } from './types.js';

/** Building blocks every section uses: references, bodies, error responses, pagination, filters. */

export const ref = (schema: string): Schema => ({ $ref: `#/components/schemas/${schema}` });

export const json = (schema: Schema, example?: unknown): Content => ({
  'application/json': { schema, ...(example !== undefined ? { example } : {}) },
});

/**
 * The JSON Schema of a command's zod input, as the request body it validates: the document states
 * what the server checks, from the very rules it checks with. `io: 'input'` describes what a client
 * sends (before defaults and transforms).
 */
export function fromZod(input: z.ZodType): Schema {
  const { $schema: _dialect, ...schema } = z.toJSONSchema(input, { io: 'input', unrepresentable: 'any' }) as Schema;
  return schema;
}

export const jsonBody = (schema: Schema, example?: unknown, required = true): RequestBody => ({
  required,
  content: json(schema, example),
});

export const ok = (description: string, schema: Schema): Response => ({ description, content: json(schema) });

export const noContent: Response = { description: 'Done; no body.' };

const ERROR_RESPONSES = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  409: 'Conflict',
  413: 'PayloadTooLarge',
  415: 'UnsupportedMediaType',
  429: 'TooManyRequests',
  500: 'InternalError',
  503: 'NotYetReadable',
} as const;
export type ErrorStatus = keyof typeof ERROR_RESPONSES;

/** The 503 every operation answers while the server starts (a write's NotYetReadable says so too). */
export const starting: Record<string, Reference> = { 503: { $ref: '#/components/responses/Starting' } };

/** References to the shared error responses, by status. */
export const errors = (...statuses: ErrorStatus[]): Record<string, Reference> =>
  Object.fromEntries(statuses.map((s) => [String(s), { $ref: `#/components/responses/${ERROR_RESPONSES[s]}` }]));

export const pathParam = (name: string, schema: Schema, description: string): Parameter => ({
  name,
  in: 'path',
  required: true,
  description,
  schema,
});

export const queryParam = (name: string, schema: Schema, description: string, required = false): Parameter => ({
  name,
  in: 'query',
  ...(required ? { required } : {}),
  description,
  schema,
});

export const idPath = (what: string): Parameter =>
  pathParam('id', { type: 'integer', minimum: 1 }, `The ${what}'s id.`);

/** `as_of`: the read answered as it was at a past moment (admins only). */
export const AS_OF: Reference = { $ref: '#/components/parameters/as_of' };

/** `limit` and `offset`: with `limit` a list answers a page envelope instead of a plain array. */
export const PAGINATION: Reference[] = [
  { $ref: '#/components/parameters/limit' },
  { $ref: '#/components/parameters/offset' },
];

/** `search`, `q` and `query`: one case-insensitive text match. */
export const TEXT_SEARCH = (fields: string): Parameter[] =>
  ['search', 'q', 'query'].map((name) =>
    queryParam(
      name,
      { type: 'string' },
      `Case-insensitive text match in ${fields}${name === 'search' ? '' : ` (same as \`search\`)`}.`,
    ),
  );

type FieldType = 'integer' | 'number' | 'string' | 'boolean' | 'date';
const FIELD_SCHEMA: Record<FieldType, Schema> = {
  integer: { type: 'integer' },
  number: { type: 'number' },
  string: { type: 'string' },
  boolean: { type: 'boolean' },
  date: { type: 'string', format: 'date-time' },
};

/**
 * Exact-match filters, one parameter per field. Django-style lookups on the same fields
 * (`<field>__gte`, `__lte`, `__gt`, `__lt`, `__in` comma list, `__icontains`) are accepted too;
 * OpenAPI cannot name a family of parameters, so they are said in the description.
 */
export const filters = (fields: Record<string, FieldType>): Parameter[] =>
  Object.entries(fields).map(([field, type]) =>
    queryParam(
      field,
      FIELD_SCHEMA[type],
      `Exact match. Lookups: \`${field}__gte\`, \`__lte\`, \`__gt\`, \`__lt\`, \`__in\` (comma list), \`__icontains\`.`,
    ),
  );

/** A list answer: a plain array without `limit`, the DRF page envelope with it. */
export const listOf = (schema: string, description: string): Response => ({
  description: `${description} A plain array without \`limit\`; \`{count, next, previous, results}\` with it.`,
  content: json({ oneOf: [{ type: 'array', items: ref(schema) }, pageOf(schema)] }),
});

export const pageOf = (schema: string): Schema => ({
  type: 'object',
  required: ['count', 'next', 'previous', 'results'],
  properties: {
    count: { type: 'integer', minimum: 0, description: 'Matching items in all pages.' },
    next: { type: ['string', 'null'], format: 'uri', description: 'Absolute URL of the next page, or null.' },
    previous: { type: ['string', 'null'], format: 'uri', description: 'Absolute URL of the previous page, or null.' },
    results: { type: 'array', items: ref(schema) },
  },
});

/** Server-Sent Events frames, as stream_chat and the embed widget's stream-chat send them. */
export const sseResponse: Response = {
  description:
    'A `text/event-stream`: one `data: <json>` line per frame, `start`, then `stream` frames with tokens, ' +
    'then `complete` with the stored chat id, or an `error` frame if the answer fails after the stream opened. ' +
    'Refusals before the stream opens (validation, permission, limits) are plain JSON errors instead.',
  content: {
    'text/event-stream': {
      schema: {
        type: 'string',
        description: 'Frames as `data: <ChatStreamFrame JSON>\\n\\n`; each frame is a ChatStreamFrame.',
      },
      example:
        'data: {"id":"5f0c…","type":"start","message":"Processing..."}\n\n' +
        'data: {"id":"5f0c…","type":"stream","token":"The "}\n\n' +
        'data: {"id":"5f0c…","type":"complete","chat_id":123}\n\n',
    },
  },
};

export const TIMESTAMP: Schema = { type: 'string', format: 'date-time', description: 'ISO 8601 UTC, with `Z`.' };
export const NULLABLE_TIMESTAMP: Schema = { type: ['string', 'null'], format: 'date-time' };

/** Shared parameters, responses, schemas and security schemes. */
export const sharedComponents = {
  securitySchemes: {
    jwt: {
      type: 'http',
      scheme: 'bearer',
      bearerFormat: 'JWT',
      description: 'An access token from `POST /api/auth/login/` (short-lived; renew with `/api/auth/refresh/`).',
    },
    apiKey: {
      type: 'http',
      scheme: 'bearer',
      bearerFormat: 'sk_live_…',
      description:
        'An API key from `POST /api/keys/api-keys/generate/`, sent as `Authorization: Bearer sk_live_…`; it acts as the user who created it.',
    },
  },
  parameters: {
    as_of: {
      name: 'as_of',
      in: 'query',
      description:
        'Answer as this read answered at a past moment: an ISO 8601 instant with a time zone, or `position:<n>` (a global position of the event log). The state after the last event at or before it; an instant before the first event answers the empty state, one in the future the present. Admins only (others get 403); a malformed value is a 400.',
      schema: { type: 'string', example: '2024-05-01T12:00:00Z' },
    },
    limit: {
      name: 'limit',
      in: 'query',
      description: 'Page size (1..1000). With it, the answer is a page envelope.',
      schema: { type: 'integer', minimum: 1, maximum: 1000 },
    },
    offset: {
      name: 'offset',
      in: 'query',
      description: 'Items to skip before the page (with `limit`).',
      schema: { type: 'integer', minimum: 0, default: 0 },
    },
  },
  responses: {
    BadRequest: {
      description: 'Invalid input (including malformed JSON); nothing was changed.',
      content: json(ref('ValidationError'), {
        error: 'Validation failed.',
        field_errors: { name: ['This field is required.'] },
      }),
    },
    Unauthorized: {
      description: 'No credentials, or a token that is not valid (expired, revoked, for a suspended user).',
      content: json(ref('Detail'), { detail: 'Authentication credentials were not provided.' }),
    },
    Forbidden: {
      description: 'Authenticated, but not allowed to do this.',
      content: json(ref('Detail'), { detail: 'You do not have permission to perform this action.' }),
    },
    NotFound: {
      description: 'No such resource (or not visible to you).',
      content: json(ref('Detail'), { detail: 'Not found.' }),
    },
    Conflict: {
      description: 'A concurrent change won; retry.',
      content: json(ref('Error'), { error: 'Conflict. Please retry.' }),
    },
    PayloadTooLarge: {
      description: 'The request body or file is too large.',
      content: json(ref('Error'), { error: 'Request body is too large.' }),
    },
    UnsupportedMediaType: {
      description: 'A body that is not JSON (text/plain, a form, XML, or no Content-Type); nothing was changed.',
      content: json(ref('Error'), {
        error: 'Unsupported media type "text/plain" in request. Send JSON with Content-Type: application/json.',
      }),
    },
    NotYetReadable: {
      description:
        'The write was recorded, but the read models did not include it within the wait (a projection is behind or stuck): read it again later. Also answered, with `Retry-After` and nothing recorded, while the server is still starting.',
      content: json(ref('Error'), {
        error: 'The write was recorded but is not yet readable: the read models are behind. Read it again later.',
      }),
    },
    Starting: {
      description:
        'The server is still starting (it listens before its stores are open): nothing was done; ask again after `Retry-After` seconds.',
      headers: { 'Retry-After': { description: 'Seconds to wait before asking again.', schema: { type: 'integer' } } },
      content: json(ref('Error'), { error: 'The server is starting. Try again shortly.' }),
    },
    TooManyRequests: {
      description: 'A rate limit or a daily message limit was reached.',
      content: json(ref('Error'), { error: 'You have reached your daily chat limit of 100' }),
    },
    InternalError: {
      description: 'Unexpected failure; no detail is disclosed.',
      content: json(ref('Error'), { error: 'Internal server error. Please try again later.' }),
    },
  },
  schemas: {
    ValidationError: {
      type: 'object',
      required: ['error', 'field_errors'],
      properties: {
        error: { type: 'string' },
        field_errors: {
          type: 'object',
          additionalProperties: { type: 'array', items: { type: 'string' } },
          description: 'Messages by field name.',
        },
      },
    },
    Detail: { type: 'object', required: ['detail'], properties: { detail: { type: 'string' } } },
    Error: { type: 'object', required: ['error'], properties: { error: { type: 'string' } } },
    Message: { type: 'object', required: ['detail'], properties: { detail: { type: 'string' } } },
    ChatStreamFrame: {
      oneOf: [
        frame('start', { message: { type: 'string' } }),
        frame('stream', { token: { type: 'string' } }),
        frame('complete', { chat_id: { type: 'integer' } }),
        frame('error', { error: { type: 'string' } }),
      ],
      discriminator: { propertyName: 'type' },
    },
  } as Record<string, Schema>,
};

function frame(type: string, properties: Record<string, Schema>): Schema {
  return {
    type: 'object',
    required: ['id', 'type', ...Object.keys(properties)],
    properties: {
      id: { type: 'string', description: 'One id per answer, the same in all its frames.' },
      type: { const: type },
      ...properties,
    },
  };
}
