import {
  errors,
  filters,
  listOf,
  NULLABLE_TIMESTAMP,
  ok,
  PAGINATION,
  pathParam,
  ref,
  TIMESTAMP,
} from './components.js';
import type { ApiSection } from './types.js';

const TAG = 'Agents';

const step = {
  oneOf: [
    {
      type: 'object',
      required: ['kind', 'call_id', 'name', 'arguments', 'side', 'step', 'at'],
      properties: {
        kind: { const: 'tool_call' },
        call_id: { type: 'string' },
        name: { type: 'string' },
        arguments: { type: 'object' },
        side: { type: 'string', enum: ['server', 'client'], description: 'Who ran the tool.' },
        step: { type: 'integer', description: 'The model turn (1-based) that asked for it.' },
        at: TIMESTAMP,
      },
    },
    {
      type: 'object',
      required: ['kind', 'call_id', 'name', 'result', 'error', 'truncated', 'at'],
      properties: {
        kind: { const: 'tool_response' },
        call_id: { type: 'string' },
        name: { type: 'string' },
        result: { type: ['string', 'null'], description: 'At most 32,000 characters (`truncated` when cut).' },
        error: { type: ['string', 'null'] },
        truncated: { type: 'boolean' },
        at: TIMESTAMP,
      },
    },
    {
      type: 'object',
      required: ['kind', 'content', 'final', 'tool', 'step', 'at'],
      properties: {
        kind: { const: 'message' },
        content: { type: 'string' },
        final: { type: 'boolean', description: 'True on the answer.' },
        tool: { type: ['string', 'null'], description: 'The server tool this message reports.' },
        step: { type: 'integer' },
        at: TIMESTAMP,
      },
    },
  ],
};

const invocationProperties = {
  id: { type: 'string', format: 'uuid' },
  workspace: { type: 'integer', description: 'Workspace id.' },
  user: { type: 'integer', description: 'Id of the user who invoked the agent.' },
  message: { type: 'string' },
  tools: {
    type: 'array',
    description: "The client's own tools declared with the invocation.",
    items: {
      type: 'object',
      required: ['name', 'description', 'parameters'],
      properties: { name: { type: 'string' }, description: { type: 'string' }, parameters: { type: 'object' } },
    },
  },
  status: { type: 'string', enum: ['running', 'closed'] },
  reason: {
    type: ['string', 'null'],
    enum: ['completed', 'closed', 'max_steps', 'timeout', 'error', null],
    description: 'Why it closed; null while running.',
  },
  step_count: { type: 'integer', description: 'Model turns taken.' },
  tokens: {
    type: ['object', 'null'],
    description: 'Token counts summed over the turns whose provider reported them.',
    properties: { input: { type: 'integer' }, output: { type: 'integer' } },
  },
  error: { type: ['string', 'null'] },
  created_at: TIMESTAMP,
  closed_at: NULLABLE_TIMESTAMP,
};
const invocationRequired = Object.keys(invocationProperties);

/** Agent invocations, for audit. They are started over the Agent WebSocket `/ws/agent/{slug}/` or GraphQL. */
export const agentsSection: ApiSection = {
  tags: [
    {
      name: TAG,
      description:
        'Agent invocations as recorded: what the agent was asked, every tool it called with which arguments, what came back and what it said. ' +
        'Invocations run over the Agent WebSocket `/ws/agent/{workspace_slug}/?token=…` (frames `invoke`, `tool_response`, `close` in; ' +
        '`invocation_started`, `agent_message`, `tool_call`, `invocation_closed`, `error` out) or GraphQL. ' +
        "Members see their own invocations, admins everyone's.",
    },
  ],
  schemas: {
    AgentInvocation: { type: 'object', required: invocationRequired, properties: invocationProperties },
    AgentInvocationWithSteps: {
      type: 'object',
      required: [...invocationRequired, 'steps'],
      properties: {
        ...invocationProperties,
        steps: { type: 'array', items: step, description: 'In the order they happened.' },
      },
    },
  },
  paths: {
    '/api/agents/invocations/': {
      get: {
        operationId: 'listAgentInvocations',
        tags: [TAG],
        summary: 'List agent invocations',
        parameters: [
          ...PAGINATION,
          ...filters({
            workspace_id: 'integer',
            user_id: 'integer',
            status: 'string',
            reason: 'string',
            created_at: 'date',
          }),
        ],
        responses: { 200: listOf('AgentInvocation', 'Invocations, oldest first.'), ...errors(400) },
      },
    },
    '/api/agents/invocations/{invocation_id}/': {
      get: {
        operationId: 'getAgentInvocation',
        tags: [TAG],
        summary: 'An agent invocation with its steps in order',
        parameters: [pathParam('invocation_id', { type: 'string', format: 'uuid' }, 'Invocation id.')],
        responses: { 200: ok('The invocation.', ref('AgentInvocationWithSteps')), ...errors(404) },
      },
    },
  },
};
