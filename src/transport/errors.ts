/** What every transport answers for a failure it does not expect: no message, no stack, nothing internal. */
export const INTERNAL_ERROR = 'Internal server error. Please try again later.';
