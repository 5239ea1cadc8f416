import { ErrorType, NO_STREAM, WrongExpectedVersionError, isCommandError } from '@eventstore/db-client';
import { ConcurrencyError, type ExpectedRevision } from './port.js';

/**
 * What a retry can cure: the server or the connection went away (unavailable, reset, timeout), the
 * node stopped being the leader, or the call was cut (cancelled, unknown gRPC status). Errors that are
 * not the client's command errors are socket-level (ECONNRESET) and transient too. Everything else
 * (access denied, an invalid argument such as a bad filter, an unsupported feature) stays until someone acts.
 */
const TRANSIENT = new Set<string>([
  ErrorType.UNAVAILABLE,
  ErrorType.NOT_LEADER,
  ErrorType.TIMEOUT,
  ErrorType.DEADLINE_EXCEEDED,
  ErrorType.CANCELLED,
  ErrorType.UNKNOWN,
]);

export function isTransient(err: unknown): boolean {
  if (!(err instanceof Error) || !isCommandError(err)) return true;
  return TRANSIENT.has(err.type);
}

/** The port's ConcurrencyError for the client's WrongExpectedVersionError; undefined for any other error. */
export function concurrencyErrorOf(
  err: unknown,
  stream: string,
  expected: ExpectedRevision,
): ConcurrencyError | undefined {
  if (!(err instanceof WrongExpectedVersionError)) return undefined;
  const actual = err.actualVersion === NO_STREAM ? 'no_stream' : Number(err.actualVersion);
  return new ConcurrencyError(stream, expected, actual);
}
