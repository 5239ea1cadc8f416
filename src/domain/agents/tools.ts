import { invalid } from '../shared/errors.js';
import { TEXT_LIMITS, unsafeTextReason } from '../shared/text.js';
import type { ClientToolDeclaration } from './events.js';

/** The tools the server runs itself; a client may not declare one of these names. */
export const SERVER_TOOL_NAMES = ['search_documents', 'list_documents', 'read_document'] as const;

/** As both OpenAI and Anthropic require of a tool name. */
export const TOOL_NAME = /^[a-zA-Z0-9_-]{1,64}$/;
const MAX_CLIENT_TOOLS = 64;
/** A declaration's schema, as JSON: enough for any real tool, and it is recorded in the log. */
const MAX_SCHEMA_CHARS = 16_000;
const MAX_SCHEMA_DEPTH = 16;
/** All of an invocation's declarations together, as JSON: they are recorded in its first event. */
const MAX_DECLARATIONS_CHARS = 64_000;
const JSON_TYPES = new Set(['object', 'array', 'string', 'number', 'integer', 'boolean', 'null']);
/** Keywords whose value is one subschema, a map of them, or a list of them. */
const ONE_SCHEMA = ['items', 'additionalProperties', 'not', 'if', 'then', 'else', 'contains', 'propertyNames'];
const SCHEMA_MAP = ['properties', 'patternProperties', '$defs', 'definitions'];
const SCHEMA_LIST = ['allOf', 'anyOf', 'oneOf', 'prefixItems'];

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Why `schema` is no JSON Schema (checked structurally, keyword by keyword), or null when it is one. */
function schemaProblem(schema: unknown, where: string, depth: number): string | null {
  if (typeof schema === 'boolean') return null;
  if (!isPlainObject(schema)) return `${where} must be a JSON Schema object.`;
  if (depth > MAX_SCHEMA_DEPTH) return `${where} is nested too deeply.`;
  const { type, required, enum: enumValues, description } = schema;
  if (type !== undefined) {
    const types = Array.isArray(type) ? type : [type];
    if (!types.length || !types.every((t) => typeof t === 'string' && JSON_TYPES.has(t)))
      return `${where}.type must be one of ${[...JSON_TYPES].join(', ')} (or a list of them).`;
  }
  if (required !== undefined) {
    if (
      !Array.isArray(required) ||
      !required.every((r) => typeof r === 'string') ||
      new Set(required).size !== required.length
    )
      return `${where}.required must be a list of distinct property names.`;
  }
  if (enumValues !== undefined && (!Array.isArray(enumValues) || enumValues.length === 0))
    return `${where}.enum must be a non-empty list.`;
  if (description !== undefined && typeof description !== 'string') return `${where}.description must be a string.`;
  for (const key of ONE_SCHEMA) {
    if (schema[key] === undefined) continue;
    const problem = schemaProblem(schema[key], `${where}.${key}`, depth + 1);
    if (problem) return problem;
  }
  for (const key of SCHEMA_MAP) {
    if (schema[key] === undefined) continue;
    const map = schema[key];
    if (!isPlainObject(map)) return `${where}.${key} must be an object of schemas.`;
    for (const [name, sub] of Object.entries(map)) {
      const problem = schemaProblem(sub, `${where}.${key}.${name}`, depth + 1);
      if (problem) return problem;
    }
  }
  for (const key of SCHEMA_LIST) {
    if (schema[key] === undefined) continue;
    const list = schema[key];
    if (!Array.isArray(list) || !list.length) return `${where}.${key} must be a non-empty list of schemas.`;
    for (const [i, sub] of list.entries()) {
      const problem = schemaProblem(sub, `${where}.${key}[${i}]`, depth + 1);
      if (problem) return problem;
    }
  }
  return null;
}

/** Why one declaration is unusable, or null. */
function declarationProblem(tool: unknown, where: string, seen: Set<string>): string | null {
  if (!isPlainObject(tool)) return `${where} must be an object {name, description, parameters}.`;
  const { name, description, parameters } = tool;
  if (typeof name !== 'string' || !TOOL_NAME.test(name))
    return `${where}.name must be 1 to 64 letters, digits, underscores or hyphens.`;
  if ((SERVER_TOOL_NAMES as readonly string[]).includes(name))
    return `${where}.name "${name}" is a server tool's name.`;
  if (seen.has(name)) return `${where}.name "${name}" is declared twice.`;
  seen.add(name);
  if (description !== undefined && typeof description !== 'string') return `${where}.description must be a string.`;
  if (typeof description === 'string') {
    if (description.length > TEXT_LIMITS.shortText)
      return `${where}.description may hold at most ${TEXT_LIMITS.shortText} characters.`;
    const unsafe = unsafeTextReason(description);
    if (unsafe) return `${where}.description: ${unsafe}`;
  }
  if (!isPlainObject(parameters) || parameters.type !== 'object')
    return `${where}.parameters must be a JSON Schema object with "type": "object".`;
  if (JSON.stringify(parameters).length > MAX_SCHEMA_CHARS)
    return `${where}.parameters may hold at most ${MAX_SCHEMA_CHARS} characters of JSON.`;
  return schemaProblem(parameters, `${where}.parameters`, 0);
}

/**
 * The client's tools of an `invoke`, checked: each named as the providers require, none twice, none a
 * server tool's name, each with a JSON Schema object for its parameters. Throws a validation error
 * naming the first problem; nothing is started then.
 */
export function clientToolDeclarations(tools: unknown): ClientToolDeclaration[] {
  if (tools === undefined || tools === null) return [];
  if (!Array.isArray(tools)) throw invalid('tools must be a list.', { tools: ['tools must be a list.'] });
  if (tools.length > MAX_CLIENT_TOOLS) {
    const message = `At most ${MAX_CLIENT_TOOLS} tools may be declared.`;
    throw invalid(message, { tools: [message] });
  }
  if (JSON.stringify(tools).length > MAX_DECLARATIONS_CHARS) {
    const message = `The tools may hold at most ${MAX_DECLARATIONS_CHARS} characters of JSON in all.`;
    throw invalid(message, { tools: [message] });
  }
  const seen = new Set<string>();
  return tools.map((tool, i) => {
    const problem = declarationProblem(tool, `tools[${i}]`, seen);
    if (problem) throw invalid(problem, { tools: [problem] });
    const { name, description, parameters } = tool as ClientToolDeclaration;
    return { name, description: description ?? '', parameters };
  });
}
