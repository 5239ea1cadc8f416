/** Errors a decider or command may raise; transports map each kind to an HTTP status. */
export type DomainErrorKind = 'validation' | 'unauthorized' | 'forbidden' | 'not_found' | 'conflict' | 'rate_limited';

export type FieldErrors = Record<string, string[]>;

export class DomainError extends Error {
  constructor(
    readonly kind: DomainErrorKind,
    message: string,
    readonly fieldErrors?: FieldErrors,
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

export const invalid = (message: string, fieldErrors?: FieldErrors) =>
  new DomainError('validation', message, fieldErrors);
export const fieldError = (field: string, message: string) => invalid(message, { [field]: [message] });
export const notFound = () => new DomainError('not_found', 'Not found.');
export const forbidden = () => new DomainError('forbidden', 'You do not have permission to perform this action.');
export const conflict = (message: string) => new DomainError('conflict', message);
export const unauthorized = (message: string) => new DomainError('unauthorized', message);
