import type { ApolloServerPlugin } from '@apollo/server';
import {
  type DocumentNode,
  GraphQLError,
  type GraphQLSchema,
  NoFragmentCyclesRule,
  specifiedRules,
  validate,
  type ValidationRule,
} from 'graphql';
import {
  type ComplexityEstimator,
  fieldExtensionsEstimator,
  getComplexity,
  simpleEstimator,
} from 'graphql-query-complexity';
import { expandedFieldCount, operationDepths } from './document-shape.js';

/** `workspaces { threads { ... } users { ... } }` is depth 3; nothing the API offers needs more than 8. */
export const MAX_DEPTH = 8;
/** Fields count 1; list fields count their page size times what each element asks for. */
export const MAX_COMPLEXITY = 5000;
/**
 * A search is a scan of a whole collection with a regular expression, whatever page it answers:
 * it costs this on top of its page, so one request holds a few dozen searches, not thousands.
 */
export const SEARCH_COMPLEXITY = 100;
/** A chat is a model call (and a message of the user's daily allowance): a handful per request. */
export const CHAT_COMPLEXITY = 1000;
/** An export reads and renders every chat of a period (a PDF takes seconds): one per request. */
export const EXPORT_COMPLEXITY = 4000;
/**
 * Longest query text and most tokens the parser reads. The introspection query GraphiQL sends is
 * about 2,000 characters and 500 tokens; past these a query is refused before it is parsed or
 * validated (validation of thousands of repeated fields is quadratic).
 */
export const MAX_QUERY_LENGTH = 20_000;
export const MAX_TOKENS = 4_000;
/**
 * Most fields a document selects, fragments counted wherever spread (the introspection query selects
 * 72). graphql's validation compares same-named fields pairwise, so hundreds of them cost a noticeable
 * share of a second; past this the document is refused straight after parsing.
 */
export const MAX_FIELDS = 250;

const estimators: ComplexityEstimator[] = [fieldExtensionsEstimator(), simpleEstimator({ defaultComplexity: 1 })];

/** Refused for what it asks, not for a fault of the server: a 400 over HTTP (Apollo's default for an error in a plugin is 500). */
const tooComplex = (max: number, actual: number) =>
  new GraphQLError(`Query is too complex: ${actual} (at most ${max}).`, {
    extensions: { code: 'QUERY_TOO_COMPLEX', http: { status: 400 } },
  });

const tooLarge = (message: string) =>
  new GraphQLError(message, { extensions: { code: 'QUERY_TOO_LARGE', http: { status: 400 } } });

/** The error for a parsed document selecting too many fields, or null. */
export function tooManyFields(document: DocumentNode): GraphQLError | null {
  const fields = expandedFieldCount(document);
  return fields > MAX_FIELDS ? tooLarge(`Query is too large: ${fields} fields (at most ${MAX_FIELDS}).`) : null;
}

/** The error for query text too long to parse, or null. */
export function queryTooLong(query: unknown): GraphQLError | null {
  return typeof query === 'string' && query.length > MAX_QUERY_LENGTH
    ? tooLarge(`Query is too large: ${query.length} characters (at most ${MAX_QUERY_LENGTH}).`)
    : null;
}

/** Complexity of a list field: its `limit` argument (or a typical page) times each element's cost. */
export const listComplexity =
  (typicalSize: number) =>
  ({ args, childComplexity }: { args: Record<string, unknown>; childComplexity: number }) =>
    (typeof args.limit === 'number' && args.limit > 0 ? Math.min(args.limit, 1000) : typicalSize) *
    Math.max(1, childComplexity);

/** A list field whose `search` argument (or, with `always`, every call) scans its collection. */
export const searchListComplexity = (typicalSize: number, always = false) => {
  const list = listComplexity(typicalSize);
  return (options: { args: Record<string, unknown>; childComplexity: number }) =>
    list(options) +
    (always || (typeof options.args.search === 'string' && options.args.search !== '') ? SEARCH_COMPLEXITY : 0);
};

/**
 * Depth is a static property of the query: checked with the other validation rules, once per document
 * as the rule is created. A document with a fragment cycle has no depth: graphql's own
 * NoFragmentCyclesRule reports it (graphql-depth-limit, used before, overflowed the stack on one).
 */
export const depthRule: ValidationRule = (context) => {
  const document = context.getDocument();
  if (validate(context.getSchema(), document, [NoFragmentCyclesRule]).length) return {};
  for (const { operation, depth } of operationDepths(document)) {
    if (depth > MAX_DEPTH) {
      context.reportError(
        new GraphQLError(`'${operation.name?.value ?? ''}' exceeds maximum operation depth of ${MAX_DEPTH}`, {
          nodes: [operation],
        }),
      );
    }
  }
  return {};
};

/**
 * The complexity error for an operation, or null. It depends on the variables, so it is computed once
 * they are known; variables that do not fit the operation are left for execution to report as bad input.
 */
export function complexityError(
  schema: GraphQLSchema,
  query: DocumentNode,
  variables: Record<string, unknown> | undefined,
  operationName?: string | null,
) {
  let complexity: number;
  try {
    complexity = getComplexity({
      schema,
      query,
      variables: variables ?? {},
      operationName: operationName ?? undefined,
      estimators,
    });
  } catch {
    return null;
  }
  return complexity > MAX_COMPLEXITY ? tooComplex(MAX_COMPLEXITY, complexity) : null;
}

/**
 * Without variables an operation's complexity depends on its document alone, and Apollo hands out the
 * same parsed document for a query text it has seen: worked out once per document and operation.
 */
const byDocument = new WeakMap<DocumentNode, Map<string, GraphQLError | null>>();

export function cachedComplexityError(
  schema: GraphQLSchema,
  query: DocumentNode,
  variables: Record<string, unknown> | undefined,
  operationName?: string | null,
) {
  if (variables && Object.keys(variables).length) return complexityError(schema, query, variables, operationName);
  let byOperation = byDocument.get(query);
  if (!byOperation) byDocument.set(query, (byOperation = new Map()));
  const key = operationName ?? '';
  let error = byOperation.get(key);
  if (error === undefined) byOperation.set(key, (error = complexityError(schema, query, variables, operationName)));
  return error;
}

/** Over HTTP: checked once Apollo has resolved the operation. */
export const complexityPlugin = (schema: GraphQLSchema): ApolloServerPlugin => ({
  async requestDidStart() {
    return {
      async didResolveOperation({ request, document }) {
        const error = cachedComplexityError(schema, document, request.variables, request.operationName);
        if (error) throw error;
      },
    };
  },
});

/** Over graphql-ws: the depth rule joins graphql's own validation rules. */
export const validateWithDepth: typeof validate = (schema, document, rules = specifiedRules, options, typeInfo) =>
  validate(schema, document, [...rules, depthRule], options, typeInfo);
