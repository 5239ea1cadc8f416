/** What every transport answers for a failure it does not expect: no message, no stack, nothing internal. */
export const INTERNAL_ERROR = 'Internal server error. Please try again later.';

/** What a client is told when its request would record more than the event store takes in one write (nothing was written). */
export const APPEND_TOO_LARGE = 'The request would record more than the event store takes in one write: send less.';
