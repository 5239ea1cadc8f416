import type { ApolloServerPlugin } from '@apollo/server';
import { GraphQLError, type GraphQLSchema, specifiedRules, validate, type ValidationRule } from 'graphql';
import depthLimit from 'graphql-depth-limit';
import { type ComplexityEstimator, createComplexityRule, fieldExtensionsEstimator, getComplexity, simpleEstimator } from 'graphql-query-complexity';

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

/** Complexity depends on variables, so over HTTP it is checked once the operation is resolved. */
export const complexityPlugin = (schema: GraphQLSchema): ApolloServerPlugin => ({
  async requestDidStart() {
    return {
      async didResolveOperation({ request, document }) {
        const complexity = getComplexity({ schema, query: document, variables: request.variables ?? {}, operationName: request.operationName, estimators });
        if (complexity > MAX_COMPLEXITY) throw tooComplex(MAX_COMPLEXITY, complexity);
      },
    };
  },
});

/** For graphql-ws, whose validate hook sees no variables: list sizes fall back to their typical size. */
export const validateWithLimits: typeof validate = (schema, document, rules = specifiedRules, options, typeInfo) =>
  validate(schema, document, [...rules, depthRule, createComplexityRule({ maximumComplexity: MAX_COMPLEXITY, estimators, createError: tooComplex })], options, typeInfo);
