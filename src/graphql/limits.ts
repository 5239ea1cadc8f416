import type { ApolloServerPlugin } from '@apollo/server';
import { type DocumentNode, GraphQLError, type GraphQLSchema, specifiedRules, validate, type ValidationRule } from 'graphql';
import depthLimit from 'graphql-depth-limit';
import { type ComplexityEstimator, fieldExtensionsEstimator, getComplexity, simpleEstimator } from 'graphql-query-complexity';

/** `workspaces { threads { ... } users { ... } }` is depth 3; nothing the API offers needs more than 8. */
export const MAX_DEPTH = 8;
/** Fields count 1; list fields count their page size times what each element asks for. */
export const MAX_COMPLEXITY = 5000;

const estimators: ComplexityEstimator[] = [fieldExtensionsEstimator(), simpleEstimator({ defaultComplexity: 1 })];

const tooComplex = (max: number, actual: number) =>
  new GraphQLError(`Query is too complex: ${actual} (at most ${max}).`, { extensions: { code: 'QUERY_TOO_COMPLEX' } });

/** Complexity of a list field: its `limit` argument (or a typical page) times each element's cost. */
export const listComplexity = (typicalSize: number) =>
  ({ args, childComplexity }: { args: Record<string, unknown>; childComplexity: number }) =>
    (typeof args.limit === 'number' && args.limit > 0 ? Math.min(args.limit, 1000) : typicalSize) * Math.max(1, childComplexity);

/** Depth is a static property of the query: checked with the other validation rules. */
export const depthRule: ValidationRule = depthLimit(MAX_DEPTH);

/**
 * The complexity error for an operation, or null. It depends on the variables, so it is computed once
 * they are known; variables that do not fit the operation are left for execution to report as bad input.
 */
export function complexityError(schema: GraphQLSchema, query: DocumentNode, variables: Record<string, unknown> | undefined, operationName?: string | null) {
  let complexity: number;
  try {
    complexity = getComplexity({ schema, query, variables: variables ?? {}, operationName: operationName ?? undefined, estimators });
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

export function cachedComplexityError(schema: GraphQLSchema, query: DocumentNode, variables: Record<string, unknown> | undefined, operationName?: string | null) {
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
