import { SETTING_LABELS } from '../../domain/system/settings.js';
import {
  AS_OF,
  errors,
  filters,
  jsonBody,
  listOf,
  NULLABLE_TIMESTAMP,
  ok,
  PAGINATION,
  pathParam,
  queryParam,
  ref,
  TIMESTAMP,
} from './components.js';
import type { ApiSection } from './types.js';

const TAG = 'System';
const ADMIN = 'Admins only.';
const label = pathParam(
  'label',
  { type: 'string', enum: [...SETTING_LABELS] },
  'The setting; any other label is a 404.',
);
const SETTING_RULES =
  'Rules: `text_splitter_chunk_size` integer 100..8000 above the overlap; `text_splitter_chunk_overlap` integer ≥ 0 ' +
  "below the size; `allow_registration` boolean; `llm_provider` one of extractive, openai, anthropic, or null for the server's `LLM_PROVIDER` (its default); `support_email` an email or empty; " +
  'the rest strings.';

/** The spec's System Settings App: status, setup state, settings and event logs. */
export const systemSection: ApiSection = {
  tags: [{ name: TAG, description: 'Status, setup state, settings and the event log.' }],
  schemas: {
    SystemStatus: {
      type: 'object',
      required: ['status', 'version', 'environment', 'system', 'database', 'settings'],
      properties: {
        status: { type: 'string', enum: ['online', 'degraded'] },
        version: { type: 'string' },
        environment: { type: 'string' },
        system: {
          type: 'object',
          properties: {
            platform: { type: 'string' },
            cpu_count: { type: 'integer' },
            cpu_percent: { type: 'number' },
            load_average: { type: 'array', items: { type: 'number' } },
            memory: {
              type: 'object',
              properties: { total: { type: 'integer' }, available: { type: 'integer' }, percent: { type: 'number' } },
            },
            process_rss: { type: 'integer' },
            uptime_seconds: { type: 'integer' },
          },
        },
        database: {
          type: 'object',
          properties: {
            status: { type: 'string', enum: ['healthy', 'unhealthy'] },
            event_store: { type: 'string' },
            read_store: { type: 'string' },
          },
        },
        projections: {
          type: 'object',
          properties: {
            head_position: { type: ['integer', 'null'] },
            projected_position: { type: 'integer' },
            lag_ms: {
              type: ['integer', 'null'],
              description: 'Age in milliseconds of the oldest event the read models have not applied.',
            },
          },
        },
        settings: {
          type: 'object',
          properties: { multi_user_mode: { type: 'boolean' }, llm_provider: { type: 'string' } },
        },
      },
    },
    SetupComplete: {
      type: 'object',
      required: ['setup_complete', 'multi_user_mode', 'allow_registration', 'custom_app_name'],
      properties: {
        setup_complete: { type: 'boolean', description: 'True once a user exists.' },
        multi_user_mode: { type: 'boolean' },
        allow_registration: { type: 'boolean' },
        custom_app_name: { type: 'string' },
      },
    },
    Setting: {
      type: 'object',
      required: ['label', 'value', 'updated_at'],
      properties: {
        label: { type: 'string', enum: [...SETTING_LABELS] },
        value: { type: ['string', 'integer', 'boolean', 'null'] },
        updated_at: NULLABLE_TIMESTAMP,
      },
    },
    EventLog: {
      type: 'object',
      required: ['id', 'event', 'metadata', 'user_id', 'occurred_at'],
      properties: {
        id: { type: 'integer', description: "The event's global position." },
        event: {
          type: 'string',
          description: 'AnythingLLM name (`login_event`, `workspace_created`, …) or the snake_case event type.',
        },
        metadata: { type: 'object', additionalProperties: true, description: 'Never holds a secret.' },
        user_id: { type: ['integer', 'null'] },
        occurred_at: TIMESTAMP,
      },
    },
  },
  paths: {
    '/api/system/status/': {
      get: {
        operationId: 'systemStatus',
        tags: [TAG],
        summary: 'Health, version and host figures',
        description: ADMIN,
        responses: { 200: ok('The status.', ref('SystemStatus')), ...errors(403) },
      },
    },
    '/api/system/setup-complete/': {
      get: {
        operationId: 'setupComplete',
        tags: [TAG],
        security: [],
        summary: 'Whether the instance has been set up',
        responses: { 200: ok('Setup state.', ref('SetupComplete')) },
      },
    },
    '/api/system/settings/': {
      get: {
        operationId: 'listSettings',
        tags: [TAG],
        summary: 'Every setting with its current value',
        description: ADMIN,
        parameters: [AS_OF],
        responses: {
          200: ok('Settings (defaults for those never changed).', { type: 'array', items: ref('Setting') }),
          ...errors(400, 403),
        },
      },
    },
    '/api/system/settings/{label}/': {
      get: {
        operationId: 'getSetting',
        tags: [TAG],
        summary: 'One setting',
        description: ADMIN,
        parameters: [label, AS_OF],
        responses: { 200: ok('The setting.', ref('Setting')), ...errors(400, 403, 404) },
      },
      patch: {
        operationId: 'updateSetting',
        tags: [TAG],
        summary: 'Change a setting',
        description: `${ADMIN} ${SETTING_RULES}`,
        parameters: [label],
        requestBody: jsonBody(
          {
            type: 'object',
            required: ['value'],
            properties: { value: { type: ['string', 'integer', 'boolean', 'null'] } },
          },
          { value: 'new_value' },
        ),
        responses: { 200: ok('The setting.', ref('Setting')), ...errors(400, 403, 404, 409) },
      },
    },
    '/api/system/event-logs/': {
      get: {
        operationId: 'listEventLogs',
        tags: [TAG],
        summary: 'The event log, newest first',
        description: `${ADMIN} Without \`limit\`, the newest 1000 entries.`,
        parameters: [
          ...PAGINATION,
          ...filters({ event: 'string', type: 'string', user_id: 'integer', occurred_at: 'date', id: 'integer' }),
          queryParam('from_date', { type: 'string' }, 'Entries at or after this date or date-time.'),
          queryParam('to_date', { type: 'string' }, 'Entries at or before this date or date-time.'),
        ],
        responses: { 200: listOf('EventLog', 'Entries.'), ...errors(400, 403) },
      },
    },
  },
};
