import { invalid } from '../../domain/shared/errors.js';
import type { Filter } from '../../infra/readstore/port.js';

/**
 * Longest text a search or `__icontains` filter takes. A search term becomes a case-insensitive
 * regular expression, and V8 refuses one built from a few thousand non-ASCII characters ("Regular
 * expression too large"); nothing worth finding in a name or a chat needs more than this.
 */
export const MAX_SEARCH_LENGTH = 200;

export const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** A case-insensitive "contains" pattern for `term`, or a 400 naming `param` when the term is too long. */
export function containsPattern(term: string, param: string): RegExp {
  if (term.length > MAX_SEARCH_LENGTH) {
    throw invalid('Validation failed.', {
      [param]: [`Ensure this field has at most ${MAX_SEARCH_LENGTH} characters.`],
    });
  }
  return new RegExp(escapeRegex(term), 'i');
}

/** Documents where any of `fields` contains `term` (case-insensitive). */
export function containsAny(term: string, param: string, fields: readonly string[]): Filter {
  const pattern = containsPattern(term, param);
  return { $or: fields.map((f) => ({ [f]: { $regex: pattern } })) };
}
