import type { GraphQLFormattedError } from 'graphql';
import { unwrapResolverError } from '@apollo/server/errors';
import type { ApolloServerPlugin } from '@apollo/server';
import { DomainError } from '../domain/shared/errors.js';
import { AppendTooLargeError } from '../infra/eventstore/port.js';
import { NotYetReadableError } from '../projections/shared/progress.js';
import { APPEND_TOO_LARGE, INTERNAL_ERROR } from '../transport/errors.js';

const CODES: Record<DomainError['kind'], string> = {
  validation: 'BAD_USER_INPUT',
  unauthorized: 'UNAUTHENTICATED',
  forbidden: 'FORBIDDEN',
  not_found: 'NOT_FOUND',
  conflict: 'CONFLICT',
  rate_limited: 'RATE_LIMITED',
};

/** Field errors under the GraphQL names of the fields (`top_n` → `topN`). */
const camelKeys = (errors: Record<string, string[]>) =>
  Object.fromEntries(
    Object.entries(errors).map(([k, v]) => [k.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase()), v]),
  );

/** Domain errors keep their message and get a code (plus field errors); anything unexpected is masked. */
export function formatError(
  formatted: GraphQLFormattedError,
  error: unknown,
  log: (err: unknown) => void,
): GraphQLFormattedError {
  const original = unwrapResolverError(error);
  if (original instanceof DomainError) {
    return {
      message: original.message,
      locations: formatted.locations,
      path: formatted.path,
      extensions: {
        code: CODES[original.kind],
        ...(original.fieldErrors ? { fieldErrors: camelKeys(original.fieldErrors) } : {}),
      },
    };
  }
  if (original instanceof NotYetReadableError) {
    return {
      message: original.message,
      locations: formatted.locations,
      path: formatted.path,
      extensions: { code: 'NOT_YET_READABLE' },
    };
  }
  if (original instanceof AppendTooLargeError) {
    return { message: APPEND_TOO_LARGE, path: formatted.path, extensions: { code: 'PAYLOAD_TOO_LARGE' } };
  }
  const code = formatted.extensions?.code;
  // Errors graphql-js or Apollo raise about the request itself (syntax, validation, bad variables).
  if (typeof code === 'string' && code !== 'INTERNAL_SERVER_ERROR') {
    return { message: formatted.message, locations: formatted.locations, path: formatted.path, extensions: { code } };
  }
  log(original);
  return { message: INTERNAL_ERROR, path: formatted.path, extensions: { code: 'INTERNAL_SERVER_ERROR' } };
}

/** A write recorded but not yet readable answers HTTP 503, as over REST (the body keeps GraphQL's shape). */
export const notYetReadablePlugin: ApolloServerPlugin = {
  async requestDidStart() {
    return {
      async willSendResponse({ errors, response }) {
        if (errors?.some((e) => unwrapResolverError(e) instanceof NotYetReadableError)) response.http.status = 503;
      },
    };
  },
};
